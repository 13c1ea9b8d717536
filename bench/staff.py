"""Staff benchmark (issue 5): import of BENCH_STAFF (default 200,000) staff rows from an
.xlsx through the real import page, then the staff list at that size against bare SQL.

1. A scratch database (migrated, roles synced, reference and demo data) and BENCH_AREAS
   (default 500) property areas of the demo enterprise ent_a.
2. An .xlsx shaped like an HR system's export (mobiles partly typed as numbers, trailing
   spaces, full-width digits, dates as text and as Excel dates), written with xlsxwriter.
3. The import: ent_a POSTs it to /staff/import/ in a child process (so its memory is the
   import's alone): seconds, rows per second, peak memory (VmHWM) and the page's verdict.
   The row cap (parameter import.max_rows) and the upload cap (IMPORT_MAX_BYTES) are raised
   for the run: a city's IT would raise them the same way to load a whole workforce.
   Beside it, in the same run, the floor (issue 17): another child process, on a copy of the
   database as it was before the import, reads the same file with python-calamine
   (``iter_rows``) and writes the same rows with SQLAlchemy Core ``insert()`` in batches of
   5,000 -- the staff rows and their area links, one transaction, no checks at all (cells
   as read; text dates left empty) -- and the ratio of the two is printed. Peak memory is
   VmHWM (reset after start-up) minus VmRSS at the start of the POST (or of the floor).
4. The staff list as ent_a at that size: first page, filter by area, search by name, and
   a deep page, each BENCH_RUNS times (median), next to the bare SQL the page needs.

Environment: BENCH_STAFF, BENCH_AREAS, BENCH_RUNS (default 7), BENCH_DIR (scratch dir; a
new temp dir removed at the end unless BENCH_KEEP=1), BENCH_REUSE=1 (a kept BENCH_DIR: start again
from its database as it was before the import, with the same workbook). Results: the printed table and
bench/out/staff.json.
"""
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402

log = common.Progress()
ROWS = int(os.environ.get("BENCH_STAFF", "200000"))
AREAS = int(os.environ.get("BENCH_AREAS", "500"))
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
KEEP = os.environ.get("BENCH_KEEP", "0") == "1"
REUSE = os.environ.get("BENCH_REUSE", "0") == "1"
OUT_DIR = os.path.join(HERE, "out")
FULL = str.maketrans("0123456789", "０１２３４５６７８９")
POSTS = ["保洁", "秩序维护", "工程维修", "客服", "其他"]


def check_char(first17):
    from app.core.validators import id_check_char

    return id_check_char(first17)


def area_name(i):
    return f"基准小区{i:04d}"


def build(bench_dir):
    app = common.make_app(bench_dir)
    common.prepare_database(app)
    from sqlalchemy import insert, select, text

    from app.extensions import db
    from app.property.models import PropertyArea
    from app.security.models import AnjuUser

    with app.app_context():
        org_id = db.session.execute(select(AnjuUser.org_id).where(AnjuUser.username == "ent_a")).scalar_one()
        db.session.execute(insert(PropertyArea), [
            {"name": area_name(i), "district_code": "500103", "street_code": "500103001", "region_code": "500103001",
             "company_org_id": org_id, "public_code": f"bench{i:06d}",
             "created_on": datetime.datetime.now(), "changed_on": datetime.datetime.now()}
            for i in range(AREAS)])
        db.session.execute(text("UPDATE anju_param SET value = :v WHERE key = 'import.max_rows'"),
                           {"v": str(ROWS + 10)})
        db.session.commit()
    return org_id


def org_of_ent_a(bench_dir):
    from sqlalchemy import select

    from app.extensions import db
    from app.security.models import AnjuUser

    app = common.make_app(bench_dir)
    with app.app_context():
        return db.session.execute(select(AnjuUser.org_id).where(AnjuUser.username == "ent_a")).scalar_one()


def write_workbook(path):
    """The HR export: xlsxwriter in constant memory."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(path, {"constant_memory": True})
    ws = wb.add_worksheet("从业人员")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    headers = ["姓名", "手机号码", "身份证号", "岗位", "在管物业管理区域", "入职日期", "备注"]
    ws.write_row(0, 0, headers)
    for i in range(ROWS):
        # Unique 17 digits: the region part varies with i so 200k rows never repeat.
        first17 = f"{110101 + (i // 1000) % 899000:06d}{1970 + i % 30}{(i % 12) + 1:02d}{(i % 28) + 1:02d}{i % 1000:03d}"
        number = first17 + check_char(first17)
        r = i + 1
        ws.write_string(r, 0, f"员工{i:06d} " if i % 7 == 0 else f"员工{i:06d}")
        mobile = f"13{i:09d}"
        if i % 5 == 1:
            ws.write_number(r, 1, int(mobile))          # typed as a number
        else:
            ws.write_string(r, 1, mobile.translate(FULL) if i % 5 == 0 else mobile)
        ws.write_string(r, 2, number + (" " if i % 4 == 0 else ""))
        ws.write_string(r, 3, POSTS[i % len(POSTS)])
        areas = area_name(i % AREAS) if i % 3 else f"{area_name(i % AREAS)}、{area_name((i + 1) % AREAS)}"
        ws.write_string(r, 4, areas)
        if i % 2:
            ws.write_datetime(r, 5, datetime.datetime(2015 + i % 10, (i % 12) + 1, (i % 28) + 1), date_fmt)
        else:
            ws.write_string(r, 5, f"{2015 + i % 10}/{(i % 12) + 1}/{(i % 28) + 1}")
    wb.close()


def child(bench_dir, xlsx_path, out_json):
    """Run in its own process: POST the workbook as ent_a and report time and memory."""
    app = common.make_app(bench_dir)
    app.config["IMPORT_MAX_BYTES"] = 512 * 1024 * 1024
    app.config["TASKS_RUN"] = "inline"   # the background task runs inside the POST: its time is the import's
    client = common.login(app, "ent_a")
    page = client.get("/staff/import/").get_data(as_text=True)
    token = common.csrf_token(page)
    data = open(xlsx_path, "rb").read()
    start_mem = common.proc_status()
    with open("/proc/self/clear_refs", "w") as fh:  # reset VmHWM to the current RSS
        fh.write("5")
    import io

    t0 = time.perf_counter()
    c0 = time.process_time()
    resp = client.post("/staff/import/", data={"csrf_token": token,
                                               "file": (io.BytesIO(data), "hr-export.xlsx")},
                       content_type="multipart/form-data")
    seconds = time.perf_counter() - t0
    cpu_seconds = time.process_time() - c0
    html = resp.get_data(as_text=True)
    ok = re.search(r'id="anju-import-ok"[^>]*>([^<]+)<', html)
    errors = re.findall(r"<tr><td>(\d+)</td>", html)[:5]
    mode = "page"
    if resp.status_code in (301, 302, 303):
        # Over import.background_kb the upload is a task (issue 17); TASKS_RUN="inline" ran it
        # inside the POST, so its time is the import's. Its outcome is on the task's status.
        mode = "task"
        m = re.search(r"/tasks/show/(\d+)", resp.headers.get("Location", ""))
        status = client.get(f"/tasks/status/{m.group(1)}").get_json() if m else {}
        ok = re.match(r"(.+)", status.get("message") or "") if status.get("state") == "done" else None
        errors = [status.get("state"), status.get("message")] if not ok else []
    end_mem = common.proc_status()
    json.dump({"status": resp.status_code, "mode": mode, "seconds": seconds, "cpu_seconds": cpu_seconds, "ok": ok.group(1).strip() if ok else None,
               "errors_sample": errors, "rss_start_kb": start_mem.get("VmRSS"),
               "peak_kb": end_mem.get("VmHWM"), "bytes": len(data)}, open(out_json, "w"), ensure_ascii=False)


def floor(bench_dir, xlsx_path, out_json):
    """Run in its own process, on a copy of the database as it was before the import: the
    same file read with python-calamine and the same rows written with Core insert(), staff
    and area links, batches of 5,000, one transaction, no checks. Seconds and peak memory."""
    from python_calamine import CalamineWorkbook
    from sqlalchemy import Integer, String, bindparam, insert, select

    from app.extensions import db
    from app.property.models import PropertyArea, Staff, staff_area
    from app.security.models import AnjuUser

    app = common.make_app(bench_dir)
    with app.app_context():
        org_id = db.session.execute(select(AnjuUser.org_id).where(AnjuUser.username == "ent_a")).scalar_one()
        db.session.commit()
        start_mem = common.proc_status()
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        t0 = time.perf_counter()
        c0 = time.process_time()
        table = Staff.__table__
        areas = dict(db.session.execute(select(PropertyArea.name, PropertyArea.id)
                                        .where(PropertyArea.company_org_id == org_id)).all())
        link = insert(staff_area).from_select(
            ["staff_id", "area_id"],
            select(table.c.id, bindparam("area_id", type_=Integer))
            .where(table.c.org_id == org_id, table.c.current_key == bindparam("key", type_=String)))
        book = CalamineWorkbook.from_path(xlsx_path)
        rows = book.get_sheet_by_name(book.sheet_names[0]).iter_rows()
        next(rows)  # the header
        moment = datetime.datetime.now()
        staff, links, n = [], [], 0

        def text(v):
            return str(int(v)) if isinstance(v, float) else v

        def flush_staff():
            db.session.execute(insert(table), staff)
            staff.clear()

        for cells in rows:
            n += 1
            number = cells[2]
            staff.append({"org_id": org_id, "name": cells[0], "mobile": text(cells[1]), "id_number": number,
                          "post": cells[3], "hired_on": cells[5].date() if isinstance(cells[5], datetime.datetime)
                          else None, "status": "active", "current_key": number, "remark": cells[6] or None,
                          "created_on": moment, "changed_on": moment})
            for name in cells[4].split("、") if cells[4] else ():
                links.append({"key": number, "area_id": areas.get(name)})
            if len(staff) >= 5000:
                flush_staff()
                if len(links) >= 5000:
                    db.session.execute(link, links)
                    links = []
        if staff:
            flush_staff()
        if links:
            db.session.execute(link, links)
        db.session.commit()
        seconds = time.perf_counter() - t0
        cpu_seconds = time.process_time() - c0
        end_mem = common.proc_status()
        written = db.session.execute(select(db.func.count()).select_from(table)
                                     .where(table.c.org_id == org_id)).scalar()
    json.dump({"rows": n, "seconds": seconds, "cpu_seconds": cpu_seconds, "rss_start_kb": start_mem.get("VmRSS"),
               "peak_kb": end_mem.get("VmHWM"), "org_staff_after": written}, open(out_json, "w"))


def copy_database(bench_dir, to_dir):
    """A consistent copy of the scratch database (VACUUM INTO), for the floor."""
    import sqlite3

    os.makedirs(to_dir, exist_ok=True)
    target = os.path.join(to_dir, common.DB_NAME)
    for stale in (target, target + "-wal", target + "-shm"):
        if os.path.exists(stale):
            os.remove(stale)
    con = sqlite3.connect(os.path.join(bench_dir, common.DB_NAME))
    try:
        con.execute("VACUUM INTO ?", (target,))
    finally:
        con.close()


def timed(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def bench_list(bench_dir, org_id):
    from sqlalchemy import text

    from app.extensions import db

    app = common.make_app(bench_dir)
    client = common.login(app, "ent_a")
    with app.app_context():
        area_id = db.session.execute(text("SELECT id FROM anju_property_area WHERE name = :n"),
                                     {"n": area_name(7)}).scalar()
        total = db.session.execute(text("SELECT count(*) FROM anju_staff WHERE org_id = :o"), {"o": org_id}).scalar()
    page_filters = staff_filter_args(client, area_id)
    pages = [
        ("first page", "/staff/list/", "SELECT id, name, mobile, id_number, post FROM anju_staff WHERE org_id = :o "
         "ORDER BY id DESC LIMIT 20", "SELECT count(*) FROM anju_staff WHERE org_id = :o"),
        ("filter by area", "/staff/list/?" + page_filters["area"],
         "SELECT s.id, s.name FROM anju_staff s WHERE s.org_id = :o AND s.id IN "
         "(SELECT staff_id FROM anju_staff_area WHERE area_id = :a) ORDER BY s.id DESC LIMIT 20",
         "SELECT count(*) FROM anju_staff_area WHERE area_id = :a"),
        ("search by name", "/staff/list/?" + page_filters["name"],
         "SELECT id, name FROM anju_staff WHERE org_id = :o AND name LIKE '%员工012345%' ORDER BY id DESC LIMIT 20",
         "SELECT count(*) FROM anju_staff WHERE org_id = :o AND name LIKE '%员工012345%'"),
        ("page 500", "/staff/list/?page_StaffView=499",
         "SELECT id, name FROM anju_staff WHERE org_id = :o ORDER BY id DESC LIMIT 20 OFFSET 9980",
         "SELECT count(*) FROM anju_staff WHERE org_id = :o"),
    ]
    results = []
    for label, url, sql, count_sql in pages:
        resp = client.get(url)
        if resp.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {resp.status_code}")
        page_ms = timed(lambda: client.get(url), RUNS)
        with app.app_context():
            params = {"o": org_id, "a": area_id}

            def bare():
                db.session.execute(text(sql), params).all()
                db.session.execute(text(count_sql), params).scalar()

            sql_ms = timed(bare, RUNS)
            matching = db.session.execute(text(count_sql), params).scalar()
        results.append({"page": label, "url": url, "rows_matching": matching, "page_ms": round(page_ms, 1),
                        "bare_sql_ms": round(sql_ms, 1)})
        log(f"{label}: page {page_ms:.1f} ms, bare SQL {sql_ms:.1f} ms ({matching:,} rows match)")
    return total, results


def staff_filter_args(client, area_id):
    """The list's filter arguments for area and name, read from its search form."""
    html = client.get("/staff/list/").get_data(as_text=True)
    args = {}
    for key, value in (("area", str(area_id)), ("name", "员工012345")):
        m = re.search(r'_flt_(\d+)_(%s)\b' % ({"area": r"areas?|area_id|area_name", "name": "name"}[key]), html)
        if m:
            args[key] = f"_flt_{m.group(1)}_{m.group(2)}={value if key != 'area' or 'name' not in m.group(2) else area_name(7)}"
    if "area" not in args:
        args["area"] = f"_flt_0_areas={area_id}"
    if "name" not in args:
        args["name"] = "_flt_2_name=员工012345"
    return args


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        child(*sys.argv[2:5])
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "floor":
        floor(*sys.argv[2:5])
        return 0
    bench_dir = os.environ.get("BENCH_DIR") or tempfile.mkdtemp(prefix="anju-staff-bench-")
    os.makedirs(bench_dir, exist_ok=True)
    try:
        xlsx_path = os.path.join(bench_dir, "hr-export.xlsx")
        floor_dir = os.path.join(bench_dir, "floor")
        before_dir = os.path.join(bench_dir, "before")
        if REUSE and os.path.exists(os.path.join(before_dir, common.DB_NAME)) and os.path.exists(xlsx_path):
            # A kept scratch dir (BENCH_KEEP=1 / BENCH_DIR): back to the database as it was
            # before the import, and the same workbook.
            log(f"reusing {bench_dir}: the database before the import and its workbook")
            copy_database(before_dir, bench_dir)
            org_id = org_of_ent_a(bench_dir)
        else:
            log(f"scratch database in {bench_dir}; {AREAS} areas of ent_a")
            org_id = build(bench_dir)
            t0 = time.perf_counter()
            write_workbook(xlsx_path)
            log(f"workbook of {ROWS:,} rows written in {time.perf_counter() - t0:.1f} s "
                f"({os.path.getsize(xlsx_path) / 1e6:.1f} MB)")
            copy_database(bench_dir, before_dir)  # as it is before the import
        copy_database(before_dir, floor_dir)
        out_json = os.path.join(bench_dir, "import.json")
        rc = subprocess.run([sys.executable, os.path.abspath(__file__), "child", bench_dir, xlsx_path, out_json]).returncode
        if rc:
            raise SystemExit(f"import child failed (exit {rc})")
        imp = json.load(open(out_json))
        if not imp.get("ok"):
            raise SystemExit(f"import did not succeed: {imp}")
        imp["rows_per_s"] = round(ROWS / imp["seconds"])
        imp["peak_added_mb"] = round((imp["peak_kb"] - imp["rss_start_kb"]) / 1024, 1)
        log(f"import: {ROWS:,} rows in {imp['seconds']:.1f} s = {imp['rows_per_s']:,} rows/s; "
            f"peak memory {imp['peak_kb'] / 1024:.0f} MB (after start-up {imp['rss_start_kb'] / 1024:.0f} MB, "
            f"added {imp['peak_added_mb']:.0f} MB); page says: {imp['ok']}")
        floor_json = os.path.join(bench_dir, "floor.json")
        rc = subprocess.run([sys.executable, os.path.abspath(__file__), "floor", floor_dir, xlsx_path,
                             floor_json]).returncode
        if rc:
            raise SystemExit(f"floor child failed (exit {rc})")
        flo = json.load(open(floor_json))
        if flo["rows"] != ROWS:
            raise SystemExit(f"the floor read {flo['rows']} rows, not {ROWS}")
        flo["rows_per_s"] = round(ROWS / flo["seconds"])
        flo["peak_added_mb"] = round((flo["peak_kb"] - flo["rss_start_kb"]) / 1024, 1)
        ratio = imp["rows_per_s"] / flo["rows_per_s"]
        print()
        print(f"Staff import of {ROWS:,} rows (issue 17 goal: >= 30,000 rows/s, peak added < 200 MB)")
        print(f"{'':<44}{'rows/s':>10}{'seconds':>10}{'CPU s':>8}{'peak added MB':>15}")
        print(f"{'ours: POST /staff/import/, checked + committed':<44}{imp['rows_per_s']:>10,}"
              f"{imp['seconds']:>10.2f}{imp['cpu_seconds']:>8.2f}{imp['peak_added_mb']:>15.0f}")
        print(f"{'floor: calamine read + Core insert, no checks':<44}{flo['rows_per_s']:>10,}"
              f"{flo['seconds']:>10.2f}{flo['cpu_seconds']:>8.2f}{flo['peak_added_mb']:>15.0f}")
        print(f"ours / floor: {ratio:.2f} of the floor's speed ({imp['seconds'] / flo['seconds']:.2f}x its time, "
              f"{imp['cpu_seconds'] / flo['cpu_seconds']:.2f}x its CPU time: the fairer figure on a busy machine)")
        print()
        total, pages = bench_list(bench_dir, org_id)
        print()
        print(f"Staff list as ent_a over {total:,} staff rows (median of {RUNS} runs)")
        print(f"{'page':<18}{'rows matching':>15}{'page ms':>10}{'bare SQL ms':>13}")
        for p in pages:
            print(f"{p['page']:<18}{p['rows_matching']:>15,}{p['page_ms']:>10.1f}{p['bare_sql_ms']:>13.1f}")
        os.makedirs(OUT_DIR, exist_ok=True)
        with open(os.path.join(OUT_DIR, "staff.json"), "w") as fh:
            json.dump({"rows": ROWS, "areas": AREAS, "import": imp, "floor": flo, "ratio_to_floor": round(ratio, 3),
                       "list": pages}, fh, ensure_ascii=False, indent=1)
        return 0
    finally:
        if not KEEP and not os.environ.get("BENCH_DIR"):
            shutil.rmtree(bench_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
