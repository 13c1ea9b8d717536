"""Child process of the export benchmark: start the app, log in as admin, GET
/auditlogview/export/ and stream the response body to a file, then report timings and
memory (VmRSS after start-up, VmHWM at the end) as JSON.

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
    client = common.login(app)
    gc.collect()
    startup = common.proc_status()
    startup_s = time.perf_counter() - t_start
    # Reset the kernel's high-water mark so that VmHWM at the end is the export's own
    # peak (Linux >= 4.0: writing 5 to clear_refs resets the peak RSS of this process).
    hwm_reset = False
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        hwm_reset = common.proc_status().get("VmHWM", 0) < startup.get("VmHWM", 0) or \
            startup.get("VmHWM") == startup.get("VmRSS")
    except OSError:
        pass

    # Sample RSS while the export runs (the kernel's VmHWM is the authoritative peak).
    samples = []
    stop = threading.Event()

    def sampler():
        while not stop.wait(0.25):
            samples.append(common.proc_status().get("VmRSS", 0))

    th = threading.Thread(target=sampler, daemon=True)
    th.start()
    written = 0
    ttfb = None
    last_print = time.perf_counter()
    t0 = time.perf_counter()
    resp = client.get(url, buffered=False)
    status = resp.status_code
    headers = dict(resp.headers)
    try:
        with open(out_path, "wb") as fh:
            for chunk in resp.response:
                if ttfb is None:
                    ttfb = time.perf_counter() - t0
                if isinstance(chunk, str):
                    chunk = chunk.encode("utf-8")
                fh.write(chunk)
                written += len(chunk)
                now = time.perf_counter()
                if now - last_print > 15:
                    last_print = now
                    print(f"    export: {written / 1e6:,.1f} MB after {now - t0:,.0f}s, "
                          f"RSS {common.proc_status().get('VmRSS', 0) / 1024:,.0f} MB", flush=True)
    finally:
        resp.close()
    total_s = time.perf_counter() - t0
    stop.set()
    th.join()
    end = common.proc_status()
    result = {
        "url": url,
        "status": status,
        "content_type": headers.get("Content-Type"),
        "content_disposition": headers.get("Content-Disposition"),
        "bytes": written,
        "startup_s": startup_s,
        "ttfb_s": ttfb,
        "seconds": total_s,
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
