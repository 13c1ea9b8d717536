"""Micro-benchmark of the export writer alone (issue 17): the same rows written by

* **ours**          -- ``app.core.xlsx.write_xlsx`` (the streamed sheet XML of
  ``app/core/xlsx/sheetxml.py``);
* **xlsxwriter**    -- plain xlsxwriter ``constant_memory`` with ``write_row`` (the issue's floor);
* **xlsxwriter-typed** -- xlsxwriter ``write_string`` / ``write_number`` / ``write_datetime`` per
  cell with formats, as ``write_xlsx`` did before (the console's old export path).

12 columns as a complaint list has them: ids, Chinese titles and texts, masked mobiles,
choices, dates, datetimes, ints, decimals, booleans and ``None``.  Each writer runs in a child
process of its own (so its memory is its own): rows per second, the added peak memory (the
kernel's VmHWM after start-up and imports, reset through /proc/self/clear_refs, and
tracemalloc's peak of Python objects), the file size.  Each file is read back with
python-calamine: row count and a few values.

    .venv/bin/python bench/writer.py                      # 200,000 rows (about a minute)
    BENCH_WRITER_ROWS=50000 .venv/bin/python bench/writer.py
    BENCH_WRITER_ONLY=ours .venv/bin/python bench/writer.py
    .venv/bin/python bench/writer.py --profile ours 20000  # cProfile of one writer
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from decimal import Decimal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

WRITERS = ("ours", "xlsxwriter", "xlsxwriter-typed")
#: Goal of the brief: the writer alone several times faster than xlsxwriter's per-cell API.
TARGET_ROWS_S = 60_000

STREETS = [("qxg", "七星岗街道"), ("jfb", "解放碑街道"), ("cqt", "朝天门街道"), ("dxc", "大溪沟街道"),
           ("sgs", "上清寺街道"), ("lyl", "两路口街道")]
STATES = [("new", "待处理"), ("accepted", "已受理"), ("done", "已办结"), ("returned", "已退回")]
TITLES = ["楼道照明损坏，夜间无法通行", "电梯频繁停运，老人上下楼困难", "小区垃圾清运不及时",
          "物业费收取标准不透明", "地下车库渗水严重", "租赁合同押金迟迟不退", "-", "+86 138 0013 8000",
          "=HYPERLINK(\"http://x\")", "窗户漏风 & 暖气不热 <三楼>"]
TEXTS = ["业主反映：" + "自去年冬季起，单元楼道照明多次损坏，物业维修不及时，夜间出行存在安全隐患。" * 2,
         "租户称房东拒绝退还押金，理由为墙面污损，双方协商未果，请求主管部门协调处理。",
         "  前后有空格的说明  ", "第一行\n第二行\n第三行", "无", None]


def columns():
    from app.core.xlsx import XColumn

    return [
        XColumn("id", "序号", kind="int"),
        XColumn("number", "投诉编号"),
        XColumn("title", "投诉标题"),
        XColumn("content", "投诉内容"),
        XColumn("mobile", "联系电话", kind="mobile"),
        XColumn("street", "所属街道", kind="choice", choices=STREETS),
        XColumn("state", "受理状态", kind="choice", choices=STATES),
        XColumn("received", "受理日期", kind="date"),
        XColumn("created_at", "登记时间", kind="datetime"),
        XColumn("amount", "涉及金额", kind="decimal"),
        XColumn("score", "满意度", kind="int"),
        XColumn("overdue", "是否超期", kind="bool"),
    ]


KEYS = ["id", "number", "title", "content", "mobile", "street", "state", "received", "created_at",
        "amount", "score", "overdue"]


def make_rows(n: int):
    """``n`` tuples in column order, made as they are consumed (nothing kept)."""
    base_day = date(2023, 1, 1)
    base_at = datetime(2023, 1, 1, 8, 0)
    for i in range(n):
        yield (
            i + 1,
            f"TS{2023 + i % 3}{i:08d}",
            TITLES[i % len(TITLES)],
            TEXTS[i % len(TEXTS)],
            f"138****{i % 10000:04d}",
            STREETS[i % len(STREETS)][0],
            STATES[i % len(STATES)][0],
            base_day + timedelta(days=i % 700) if i % 9 else None,
            base_at + timedelta(minutes=i * 7),
            Decimal(i % 100_000) / 100 if i % 4 else None,
            i % 5 + 1 if i % 3 else None,
            bool(i % 2),
        )


def proc_status() -> dict:
    out = {}
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    name, value = line.split(":")
                    out[name] = int(value.split()[0])
    except OSError:
        pass
    return out


def run_ours(path: str, n: int) -> int:
    from app.core.xlsx import write_xlsx

    return write_xlsx(path, columns(), make_rows(n), sheet_title="数据",
                      info=[("导出人", "张*三"), ("筛选条件", "受理状态 = 已受理"), ("行数", str(n))])


def run_xlsxwriter(path: str, n: int) -> int:
    import xlsxwriter

    cols = columns()
    choice = {i: dict(c.choice_pairs()) for i, c in enumerate(cols) if c.kind == "choice"}
    wb = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_numbers": False,
                                    "strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet("数据")
    ws.write_row(0, 0, [c.label for c in cols])
    dfmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    count = 0
    for count, row in enumerate(make_rows(n), start=1):
        values = list(row)
        for i, m in choice.items():
            values[i] = m.get(values[i], values[i])
        values[11] = "是" if values[11] else "否"
        for i in (7, 8):
            if values[i] is not None:
                ws.write_datetime(count, i, values[i], dfmt)
                values[i] = None
        ws.write_row(count, 0, values)
    wb.close()
    return count


def run_xlsxwriter_typed(path: str, n: int) -> int:
    """write_xlsx as it was before issue 17 (xlsxwriter, one typed call per cell)."""
    import xlsxwriter

    from app.core.xlsx.columns import IDENTIFIER_KINDS

    cols = columns()
    wb = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False,
                                    "strings_to_urls": False, "strings_to_numbers": False,
                                    "remove_timezone": True, "nan_inf_to_errors": True})
    sheet = wb.add_worksheet("数据")
    header_fmt = wb.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    datetime_fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    choice_maps = {i: dict(c.choice_pairs()) for i, c in enumerate(cols) if c.kind == "choice"}
    text_cols = {i for i, c in enumerate(cols) if c.kind in IDENTIFIER_KINDS}
    for i, c in enumerate(cols):
        sheet.set_column(i, i, c.width)
        sheet.write_string(0, i, str(c.label), header_fmt)
    sheet.freeze_panes(1, 0)
    count = 0
    for count, row in enumerate(make_rows(n), start=1):
        for i, c in enumerate(cols):
            value = row[i]
            if value is None:
                continue
            if i in choice_maps and not isinstance(value, bool):
                value = choice_maps[i].get(str(value), value)
            if isinstance(value, bool):
                sheet.write_string(count, i, "是" if value else "否")
            elif isinstance(value, datetime):
                sheet.write_datetime(count, i, value, datetime_fmt)
            elif isinstance(value, date):
                sheet.write_datetime(count, i, value, date_fmt)
            elif isinstance(value, (int, float, Decimal)) and not (
                    i in text_cols or (isinstance(value, int) and abs(value) >= 10**15)):
                sheet.write_number(count, i, float(value))
            else:
                text = str(value)
                sheet.write_string(count, i, "'" + text if text[:1] in "=+-@\t\r" and text else text)
    sheet.autofilter(0, 0, count, len(cols) - 1)
    wb.close()
    return count


RUNNERS = {"ours": run_ours, "xlsxwriter": run_xlsxwriter, "xlsxwriter-typed": run_xlsxwriter_typed}


def child(name: str, n: int, path: str) -> dict:
    """Run one writer in this process; return its figures."""
    import tracemalloc

    from app.core.xlsx import write_xlsx  # noqa: F401 (imports before the baseline)
    import xlsxwriter  # noqa: F401

    RUNNERS[name](path, 10)  # warm-up: first-use imports and caches
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass
    start = proc_status()
    tracemalloc_on = os.environ.get("BENCH_WRITER_TRACEMALLOC") == "1"
    if tracemalloc_on:
        tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    count = RUNNERS[name](path, n)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    traced = tracemalloc.get_traced_memory()[1] if tracemalloc_on else None
    end = proc_status()
    return {"writer": name, "rows": count, "seconds": seconds, "rows_s": count / seconds,
            "cpu_rows_s": count / cpu if cpu else None,
            "added_mb": max(0, end.get("VmHWM", 0) - start.get("VmRSS", 0)) / 1024,
            "traced_mb": traced / 2**20 if traced is not None else None,
            "size_mb": os.path.getsize(path) / 2**20}


def check(path: str, n: int) -> str:
    """Read the file back with calamine: header + n rows, a few values."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(path)
    rows = wb.get_sheet_by_index(0).to_python()
    problems = []
    if len(rows) != n + 1:
        problems.append(f"{len(rows) - 1} rows, expected {n}")
    if rows and rows[0][:2] != ["序号", "投诉编号"]:
        problems.append(f"header {rows[0][:2]}")
    if len(rows) > 2:
        first = rows[1]
        if first[1] != "TS202300000000" or first[5] != "七星岗街道" or first[2] != TITLES[0]:
            problems.append(f"row 2 {first[:6]}")
    return "; ".join(problems) or "ok"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _flag, name, n, path = sys.argv[1:5]
        print(json.dumps(child(name, int(n), path)))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--profile":
        import cProfile
        import pstats

        name, n = sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 20_000
        with tempfile.TemporaryDirectory() as tmp:
            prof = cProfile.Profile()
            prof.enable()
            RUNNERS[name](os.path.join(tmp, "p.xlsx"), n)
            prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(18)
        return

    n = int(os.environ.get("BENCH_WRITER_ROWS", "200000"))
    only = os.environ.get("BENCH_WRITER_ONLY")
    names = [w for w in WRITERS if not only or w in only.split(",")]
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-writer-") as tmp:
        for name in names:
            path = os.path.join(tmp, f"{name}.xlsx")
            out = subprocess.run([sys.executable, __file__, "--child", name, str(n), path],
                                 capture_output=True, text=True, cwd=ROOT, check=False)
            if out.returncode:
                print(out.stderr[-3000:], file=sys.stderr)
                raise SystemExit(f"{name} failed")
            res = json.loads(out.stdout.strip().splitlines()[-1])
            res["check"] = check(path, n)
            results.append(res)
    floor = next((r for r in results if r["writer"] == "xlsxwriter"), None)
    print(f"\nExport writer, {n:,} rows x 12 columns (Chinese text, dates, datetimes, ints, "
          f"decimals, None)")
    print("(rows/s by the wall clock, and by the process's CPU time: the fairer figure when "
          "other work shares the machine)")
    print(f"{'writer':<18}{'rows/s':>10}{'CPU rows/s':>12}{'vs floor':>10}{'added MB':>10}"
          f"{'file MB':>9}  read back")
    for r in results:
        ratio = f"{r['cpu_rows_s'] / floor['cpu_rows_s']:.2f}x" if floor else "-"
        print(f"{r['writer']:<18}{r['rows_s']:>10,.0f}{r['cpu_rows_s']:>12,.0f}{ratio:>10}"
              f"{r['added_mb']:>10.1f}{r['size_mb']:>9.1f}  {r['check']}")
    ours = next((r for r in results if r["writer"] == "ours"), None)
    if ours:
        verdict = "ok" if ours["cpu_rows_s"] >= TARGET_ROWS_S else "MISSED"
        print(f"target: ours >= {TARGET_ROWS_S:,} rows/s (CPU time, the rows made by the "
              f"generator included): {verdict}")
    out_dir = os.path.join(ROOT, "bench", "out")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "writer.json"), "w") as fh:
        json.dump({"rows": n, "results": results}, fh, indent=2)


if __name__ == "__main__":
    main()
