"""Child process of the export benchmark: start the app, log in as admin, click 导出 on the
audit log (GET /auditlogview/export/) and stream the file to disk, then report timings and
memory (VmRSS after start-up, VmHWM at the end) as JSON.

More rows than the parameter ``export.sync_rows`` (5,000) are exported by a background task
(app/core/lists/export_import.py): the click answers 302 to /tasks/show/<id> and the file is
downloaded from /tasks/download/<id>. This child runs the task inside the click's request
(config ``TASKS_RUN="inline"``), so the time from the click to the file on disk is the whole
export (query, workbook written to the task's file, download), as before the task existed;
``common.export_through_task`` follows the redirect.

Run by bench/run.py (python bench/export_child.py BENCH_DIR OUT_XLSX OUT_JSON); it is a
separate process so that its memory is the export's alone. The kernel's high-water mark
(VmHWM) is read after start-up, reset, and read again at the end: the export's own peak.
"""
import gc
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402


def main(bench_dir, out_path, json_path, url="/auditlogview/export/"):
    t_start = time.perf_counter()
    app = common.make_app(bench_dir)
    app.config["TASKS_RUN"] = "inline"   # the task runs inside the click: its time is the export's
    client = common.login(app)
    gc.collect()
    startup = common.proc_status()
    startup_s = time.perf_counter() - t_start
    # Reset the kernel's high-water mark so that VmHWM at the end is the export's own peak.
    hwm_reset = common.reset_peak()

    # Sample RSS while the export runs (the kernel's VmHWM is the authoritative peak).
    samples = []
    stop = threading.Event()

    def sampler():
        while not stop.wait(0.25):
            samples.append(common.proc_status().get("VmRSS", 0))

    th = threading.Thread(target=sampler, daemon=True)
    th.start()

    def chunk_log(written, elapsed):
        print(f"    download: {written / 1e6:,.1f} MB after {elapsed:,.0f}s, "
              f"RSS {common.proc_status().get('VmRSS', 0) / 1024:,.0f} MB", flush=True)

    res = common.export_through_task(client, url, out_path, chunk_log=chunk_log)
    stop.set()
    th.join()
    end = common.proc_status()
    result = {
        "url": url,
        "status": res["status"],
        "mode": res["mode"],
        "task_id": res["task_id"],
        "task_rows": (res["task"] or {}).get("row_count"),
        "error": res["error"],
        "content_type": res.get("content_type"),
        "content_disposition": res.get("content_disposition"),
        "bytes": res["bytes"],
        "startup_s": startup_s,
        "click_s": res["click_s"],
        "download_s": res["download_s"],
        "ttfb_s": res["ttfb_s"],
        "seconds": res["seconds"],
        "baseline_rss_kb": startup.get("VmRSS"),
        "startup_hwm_kb": startup.get("VmHWM"),
        "end_rss_kb": end.get("VmRSS"),
        "hwm_reset_after_startup": hwm_reset,
        # the export's peak if the reset worked, else the whole process's peak
        "export_hwm_kb": end.get("VmHWM"),
        "peak_hwm_kb": max(end.get("VmHWM", 0), startup.get("VmHWM", 0)),
        "max_sampled_rss_kb": max(samples) if samples else None,
    }
    with open(json_path, "w") as fh:
        json.dump(result, fh)


if __name__ == "__main__":
    main(*sys.argv[1:])
