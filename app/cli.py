"""Command-line tasks: `flask roles sync`, `flask seed reference|demo`, `flask audit verify`,
`flask jobs sync|run|list`, `flask credit daily [--at "2026-12-10 02:00"]`."""
import csv
from datetime import datetime
import os

import click
from flask import current_app, g
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db

SEEDS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "seeds")

roles_cli = AppGroup("roles", help="Role catalogue.")
seed_cli = AppGroup("seed", help="Reference and demo data.")
audit_cli = AppGroup("audit", help="Audit log.")


def sync_roles():
    """Create every permission FAB knows of, then make each role hold exactly its catalogue."""
    from app.security.roles import COMMON, PII_PERMISSION, PII_VIEW, ROLES, tasks_permissions

    appbuilder = current_app.appbuilder
    sm = appbuilder.sm
    g.audit_actor = "cli"
    for name in list(ROLES) + [current_app.config["AUTH_ROLE_PUBLIC"]]:
        if sm.find_role(name) is None:
            sm.add_role(name)
    appbuilder.add_permissions(update_perms=True)
    sm.add_permission_view_menu(PII_PERMISSION, PII_VIEW)
    wanted_by_role = {}
    for name, spec in ROLES.items():
        if spec["permissions"] == "*":
            continue
        wanted = []
        for perm, view in list(spec["permissions"]) + COMMON + tasks_permissions(spec["permissions"]):
            pvm = sm.find_permission_view_menu(perm, view)
            if pvm is None:
                pvm = sm.add_permission_view_menu(perm, view)
            wanted.append(pvm)
        wanted_by_role[name] = wanted
    all_pvms = sm.session.query(sm.permissionview_model).all()
    summary = {}
    for name, spec in ROLES.items():
        role = sm.find_role(name)
        wanted = all_pvms if spec["permissions"] == "*" else wanted_by_role[name]
        role.permissions = list({p.id: p for p in wanted}.values())
        summary[name] = len(role.permissions)
    sm.session.commit()
    from app.core.jobs import sync_jobs

    sync_jobs()
    return summary


@roles_cli.command("sync")
def roles_sync():
    """Apply the role catalogue (app/security/roles.py) to the database."""
    for name, count in sync_roles().items():
        click.echo(f"{name}: {count} permissions")


def load_reference():
    """Regions, dictionaries and parameters from seeds/ (idempotent)."""
    from app.system.models import DictItem, DictType, Region
    from app.system.params import ensure_params

    g.audit_disabled = True  # reference data is not a user's change
    added = {"regions": 0, "dict_types": 0, "dict_items": 0, "params": 0}
    known = set(db.session.execute(select(Region.code)).scalars())
    with open(os.path.join(SEEDS, "regions.csv"), encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    order = {"city": 0, "district": 1, "street": 2, "community": 3}
    for row in sorted(rows, key=lambda r: order[r["level"]]):
        if row["code"] in known:
            continue
        db.session.add(Region(code=row["code"], name=row["name"], level=row["level"],
                              parent_code=row["parent_code"] or None))
        known.add(row["code"])
        added["regions"] += 1
    db.session.flush()
    type_names = {
        "id_type": ("证件类型", "ID type"), "enterprise_type": ("企业类型", "Enterprise type"),
        "property_type": ("物业类型", "Property type"), "staff_post": ("岗位", "Staff post"),
        "certificate_type": ("证书类型", "Certificate type"), "equipment_type": ("设备类型", "Equipment type"),
        "org_type": ("机构类型", "Organization type"), "credit_category": ("信用类别", "Credit category"),
        "property_cert_type": ("产权证件类型", "Property certificate type"), "house_use": ("房屋用途", "House use"),
        "rent_payment_cycle": ("租金支付周期", "Rent payment cycle"), "rental_purpose": ("租赁用途", "Rental purpose"),
        "legal_service_kind": ("法律服务机构类型", "Legal service kind"),
        "practitioner_post": ("从业岗位", "Practitioner post"),
        "good_behaviour_category": ("良好行为类别", "Good behaviour category"),
    }
    types = set(db.session.execute(select(DictType.code)).scalars())
    items = set(db.session.execute(select(DictItem.dict_type, DictItem.code)).all())
    with open(os.path.join(SEEDS, "dictionaries.csv"), encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            t = row["dict_type"]
            if t not in types:
                zh, en = type_names.get(t, (t, t))
                db.session.add(DictType(code=t, name=zh, name_en=en))
                types.add(t)
                added["dict_types"] += 1
                db.session.flush()
            if (t, row["code"]) in items:
                continue
            db.session.add(DictItem(dict_type=t, code=row["code"], label=row["label_zh"],
                                    label_en=row["label_en"], sort=int(row["sort"] or 0), active=True))
            items.add((t, row["code"]))
            added["dict_items"] += 1
    added["params"] = ensure_params()
    from app.credit import rules as credit_rules

    added["credit_rules"] = credit_rules.seed_defaults()
    from app.rental.public import services as rental_public

    added["contract_templates"] = rental_public.seed_templates()
    added["legal_pages"] = rental_public.seed_legal_pages()
    db.session.commit()
    g.audit_disabled = False
    return added


@seed_cli.command("reference")
def seed_reference():
    """Load regions, dictionaries and parameters."""
    click.echo(load_reference())


DEMO_ORGS = [
    # key, name, org_type, enterprise_type, credit_code, region, parent key
    ("city", "重庆市住房和城乡建设委员会", "city", None, None, "500000", None),
    ("district1", "渝中区住房和城乡建设委员会", "district", None, None, "500103", "city"),
    ("district2", "渝北区住房和城乡建设委员会", "district", None, None, "500112", "city"),
    ("street1", "七星岗街道办事处", "street", None, None, "500103001", "district1"),
    ("ent_a", "重庆安居物业服务有限公司", "enterprise", "property_company", "91500103MA5U7A1B23", "500103", "district1"),
    ("ent_b", "重庆和居物业管理有限公司", "enterprise", "property_company", "91500103MA5U8C3D4W", "500103", "district1"),
    ("ent_c", "重庆渝北宜居住房租赁有限公司", "enterprise", "rental_company", "91500112MA60E5F6GC", "500112", "district2"),
    ("agency_a", "重庆安居住房租赁有限公司", "enterprise", "rental_company", "91500103MA5U9R2T37", "500103", "district1"),
    ("platform_a", "重庆市房屋租赁信息共享平台", "enterprise", "platform", "91500103MA5UAP3X4C", "500103", "district1"),
    ("housing_centre", "重庆市住房保障中心", "city", None, None, "500000", "city"),
    ("dev_a", "重庆渝开置业有限公司", "enterprise", "developer", "91500103MA5UKF2D3Y", "500103", "district1"),
    ("committee_a", "和平小区业主委员会", "owners_committee", "owners_committee", "53500103MA5UYW7H2D", "500103",
     "district1"),
]

DEMO_USERS = [
    # username, name, role, org key, mobile
    ("admin", "系统管理员", "sysadmin", "city", "13800000001"),
    ("gov_admin", "市级管理员", "gov_admin", "city", "13800000002"),
    ("reviewer", "审核员", "gov_reviewer", "city", "13800000003"),
    ("district1", "渝中区管理员", "district", "district1", "13800000004"),
    ("street1", "七星岗街道", "street", "street1", "13800000005"),
    ("ent_a", "安居物业管理员", "ent_admin", "ent_a", "13800000006"),
    ("ent_b", "和居物业管理员", "ent_admin", "ent_b", "13800000007"),
    ("pm_a", "张小三", "project_lead", "ent_a", "13800000008"),
    ("helpdesk", "客服", "helpdesk", "city", "13800000009"),
    ("analyst", "数据分析员", "analyst", "city", "13800000010"),
    ("public1", "李四", "public", None, "13800000011"),
    ("agency_a", "安居租赁管理员", "ent_admin", "agency_a", "13800000012"),
    ("agent_a", "王小五", "rental_agent", "agency_a", "13800000013"),
    ("platform_a", "共享平台接口账号", "api_client", "platform_a", "13800000014"),
    ("alloc_admin", "配租管理员", "alloc_admin", "housing_centre", "13800000015"),
    ("dev_a", "渝开置业管理员", "dev_admin", "dev_a", "13800000017"),
    ("committee_a", "和平小区业委会", "committee", "committee_a", "13800000018"),
]


def load_demo(password=None):
    """Demo organisations and one account per role (idempotent; exempt from forced change)."""
    from app.system import services
    from app.system.models import Organization

    password = password or current_app.config["DEMO_PASSWORD"]
    sm = current_app.appbuilder.sm
    g.audit_actor = "seed"
    orgs = {}
    created = {"orgs": 0, "users": 0}
    for key, name, org_type, ent_type, credit, region, parent in DEMO_ORGS:
        org = db.session.execute(select(Organization).where(Organization.name == name)).scalars().first()
        if org is None:
            org = Organization(name=name, org_type=org_type, enterprise_type=ent_type,
                               credit_code=credit, region_code=region,
                               parent=orgs.get(parent), active=True)
            db.session.add(org)
            services.set_tree_fields(org)
            db.session.flush()
            services.finish_paths([org])
            created["orgs"] += 1
        orgs[key] = org
    db.session.commit()
    for username, name, role, org_key, mobile in DEMO_USERS:
        if sm.find_user(username=username) is not None:
            continue
        sm.add_user(username, name, "", f"{username}@demo.anju.invalid", sm.find_role(role),
                    password=password, org_id=orgs[org_key].id if org_key else None,
                    mobile=mobile, must_change_password=False)
        created["users"] += 1
    created["persons"] = _demo_persons()
    created["areas"] = _demo_areas(orgs)
    created["staff"] = _demo_staff(orgs)
    from app.property.filings import demo as filings_demo

    created["property_contracts"] = filings_demo.load_demo()
    created["credit"] = _demo_credit(orgs)
    from app.property.service import demo as service_demo

    created["property_service"] = service_demo.load_demo()
    from app.rental import demo as rental_demo

    created["rental"] = rental_demo.load_demo()
    from app.allocation import demo as allocation_demo

    created["allocation"] = allocation_demo.load_demo()
    from app.property.owners import demo as owners_demo

    created["houses"] = owners_demo.load_demo()
    from app.property.honour import demo as honour_demo

    created["property_honour_news"] = honour_demo.load_demo()
    return created


# Natural persons behind demo accounts: the project lead is verified (else the console sends
# them to real-name first); public1 is not, and the registry holds them, so the demo can
# show verification. ID numbers get their check digit computed.
DEMO_PERSONS = [
    # username, name, 17 first digits of the ID number, real-name verified
    ("pm_a", "张小三", "50010319850312001", True),
    ("public1", "李四", "50010319900521002", False),
]


# Property management areas: 和平小区 and 解放碑商住楼 get pm_a as project lead through pm_a's
# staff record (DEMO_STAFF), so their 码上办 links take requests; 七星花园 has no lead yet.
# 和平小区 and 解放碑商住楼 were built by 重庆渝开置业有限公司 (dev_a); app/property/areas/demo.py
# adds their 物业类型 and 四至 and one approved 物业区域备案 by dev_a (渝开·山城名邸).
DEMO_AREAS = [
    # name, district, street, company key, public code, developer key
    ("和平小区", "500103", "500103001", "ent_a", "demo-heping", "dev_a"),
    ("七星花园", "500103", "500103001", "ent_b", "demo-qixing", None),
    ("解放碑商住楼", "500103", "500103003", "ent_a", "demo-jiefangbei", "dev_a"),
]


def _demo_areas(orgs):
    from app.property.areas import demo as area_demo
    from app.property.models import PropertyArea

    count = 0
    for name, district, street, company, code, developer in DEMO_AREAS:
        if db.session.execute(select(PropertyArea).where(PropertyArea.name == name)).first():
            continue
        area = PropertyArea(name=name, district_code=district, street_code=street,
                            company_org_id=orgs[company].id,
                            developer_org_id=orgs[developer].id if developer else None,
                            public_code=code, address=f"重庆市渝中区{name}")
        area.fill_region()
        db.session.add(area)
        count += 1
    db.session.commit()
    return count + area_demo.load_demo(orgs)


# Staff of the demo enterprises (seed 003 §17). pm_a's record carries the ID number of pm_a's
# account, so the two are bound and pm_a leads the areas listed; the others have no account.
DEMO_STAFF = [
    # enterprise key, name, 17 first digits of the ID number, mobile, post, areas, hired on
    ("ent_a", "张小三", "50010319850312001", "13800000008", "project_lead", ("和平小区", "解放碑商住楼"), "2019-03-01"),
    ("ent_a", "王保洁", "50010319760815003", "13900000101", "cleaning", ("和平小区",), "2020-06-15"),
    ("ent_a", "刘秩序", "50010319820101004", "13900000102", "security", ("和平小区", "解放碑商住楼"), "2021-01-10"),
    ("ent_a", "陈工程", "50010319880909005", "13900000103", "engineering", ("解放碑商住楼",), "2018-11-20"),
    ("ent_b", "赵客服", "50010319950203006", "13900000104", "customer_service", ("七星花园",), "2022-04-01"),
]


def _demo_staff(orgs):
    from datetime import date

    from app.core.validators import id_check_char
    from app.property.areas import services as property_services
    from app.property.staff import accounts as staff_accounts
    from app.property.models import PropertyArea, Staff

    count = 0
    for org_key, name, first17, mobile, post, area_names, hired in DEMO_STAFF:
        number = first17 + id_check_char(first17)
        org_id = orgs[org_key].id
        if db.session.execute(select(Staff.id).where(Staff.org_id == org_id, Staff.id_number == number)).first():
            continue
        areas = db.session.execute(select(PropertyArea).where(PropertyArea.name.in_(area_names))).scalars().all()
        staff = Staff(org_id=org_id, name=name, mobile=mobile, id_number=number, current_key=number, post=post,
                      hired_on=date.fromisoformat(hired), status="active", areas=list(areas))
        db.session.add(staff)
        db.session.flush()
        staff_accounts.bind_accounts(org_id, staff_ids=[staff.id])
        db.session.refresh(staff)
        property_services.sync_leads(staff, None)
        count += 1
    db.session.commit()
    return count


# Credit (app/credit), reached through the services at past moments (never a status set by
# hand), relative to today so the states hold whenever the demo is loaded:
# * ent_a: two deductions in effect (60 - 8 = 52: level C) and a black list entry in effect
#   since about 120 days (past credit.repair_min_days, so 信用修复 can be tried), plus one
#   记分申请 of district1 waiting for review;
# * ent_b: three bonuses in effect (60 + 24 = 84: level AA), one deduction in publicity (open
#   for objection), and one 记分申请 returned to district1 for changes.
# Each row is found again by its facts (records) or reason (list entries): a second run adds nothing.
DEMO_CREDIT_RECORDS = [
    # org key, rule, score, days ago: event / proposed, outcome (effective | publicity | review | returned), facts
    ("ent_a", "WY-K-005", 5, 160, 150, "effective", "和平小区电梯长期停运，业主多次反映，经现场核查属实"),
    ("ent_a", "WY-K-004", 3, 140, 135, "effective", "解放碑商住楼消防设施未按规定巡检、维保，经检查属实"),
    ("ent_a", "WY-K-005", 4, 5, 3, "review", "和平小区公共区域保洁未达到合同约定标准，经查证属实"),
    ("ent_b", "WY-J-004", 10, 200, 190, "effective", "七星花园在防汛抢险工作中表现突出，受到区政府通报表扬"),
    ("ent_b", "WY-J-001", 8, 180, 170, "effective", "七星花园获评市级物业管理优秀示范项目"),
    ("ent_b", "WY-J-001", 6, 100, 95, "effective", "七星花园获评区级物业服务质量优秀项目"),
    ("ent_b", "WY-K-004", 3, 3, 2, "publicity", "七星花园二次供水设施未按期维保，经检查属实"),
    ("ent_b", "WY-J-001", 5, 10, 8, "returned", "七星花园获评区级物业管理示范项目"),
]
DEMO_CREDIT_RETURN_REASON = "请补充表彰文件的扫描件"
DEMO_BLACK_LIST = ("ent_a", 130, "信用等级为C，且多项物业服务问题经查证属实")


def _demo_credit(orgs):
    from datetime import date, timedelta

    from app.core.mixins import now
    from app.credit import scoring, services as credit
    from app.credit.models import CreditListEntry, CreditRecord, ListType

    sm = current_app.appbuilder.sm
    district, reviewer, gov_admin = (sm.find_user(username=u) for u in ("district1", "reviewer", "gov_admin"))
    today = now().replace(hour=9, minute=30, second=0, microsecond=0)
    count = 0
    for org_key, code, score, event_days, days, outcome, facts in DEMO_CREDIT_RECORDS:
        org_id = orgs[org_key].id
        if db.session.execute(select(CreditRecord.id).where(CreditRecord.org_id == org_id,
                                                            CreditRecord.facts == facts)).first():
            continue
        moment = today - timedelta(days=days)
        rule = credit.current_rule(code)
        record = credit.propose_record(district, {
            "org_id": org_id, "rule_id": rule.id, "score": score, "facts": facts,
            "event_date": (date.today() - timedelta(days=event_days)).isoformat()}, moment=moment)
        if outcome == "returned":
            credit.transition(record, "return", reviewer, DEMO_CREDIT_RETURN_REASON, moment=moment + timedelta(days=1))
        elif outcome in ("effective", "publicity"):
            credit.transition(record, "approve", reviewer, moment=moment + timedelta(days=1))
            if outcome == "effective":
                credit.transition(record, "take_effect", None, moment=record.publicity_until)
        db.session.commit()
        count += 1
    org_key, days, reason = DEMO_BLACK_LIST
    org_id = orgs[org_key].id
    if not db.session.execute(select(CreditListEntry.id).where(CreditListEntry.org_id == org_id,
                                                               CreditListEntry.reason == reason)).first():
        moment = today - timedelta(days=days)
        entry = credit.propose_list_entry(gov_admin, {"org_id": org_id, "list_type": ListType.BLACK,
                                                      "reason": reason, "basis": "演示数据：按信用等级提出"},
                                          moment=moment)
        credit.transition(entry, "approve", reviewer, moment=moment + timedelta(days=1))
        credit.transition(entry, "take_effect", None, moment=entry.publicity_until)
        db.session.commit()
        count += 1
    if count:
        # Every enterprise gets its score row (ent_c at the base level); a second run writes nothing.
        scoring.recompute_all("演示数据", moment=now())
        db.session.commit()
    return count


def _demo_persons():
    from app.accounts.models import Person, RealnameRegistry
    from app.core.validators import id_check_char

    sm = current_app.appbuilder.sm
    count = 0
    for username, name, first17, verified in DEMO_PERSONS:
        user = sm.find_user(username=username)
        number = first17 + id_check_char(first17)
        if user is None or db.session.execute(select(Person).where(Person.user_id == user.id)).first():
            continue
        db.session.add(Person(user_id=user.id, org_id=user.org_id, name=name, id_type="resident_id",
                              id_number=number, mobile=user.mobile,
                              realname_status="verified" if verified else "unverified",
                              realname_at=datetime.now() if verified else None))
        if not db.session.execute(select(RealnameRegistry).where(RealnameRegistry.id_number == number)).first():
            db.session.add(RealnameRegistry(name=name, id_type="resident_id", id_number=number, source="演示数据"))
        count += 1
    db.session.commit()
    return count


@seed_cli.command("demo")
@click.option("--password", default=None, help="Password for every demo account (DEMO_PASSWORD).")
def seed_demo(password):
    """Create the demo organisations and accounts."""
    click.echo(load_demo(password))


@audit_cli.command("verify")
def audit_verify():
    """Check the audit log's hash chain; exit 1 if an entry was removed or altered."""
    from app.core.audit import verify_chain

    ok, checked, bad_id, reason = verify_chain()
    if ok:
        click.echo(f"OK: {checked} entries, chain intact")
    else:
        click.echo(f"BROKEN at entry {bad_id}: {reason} ({checked} entries verified before it)")
        raise SystemExit(1)


jobs_cli = AppGroup("jobs", help="Scheduled jobs (app/core/jobs.py).")


@jobs_cli.command("sync")
def jobs_sync():
    """Write the registered jobs into the database (keeps pause flags)."""
    from app.core.jobs import sync_jobs

    added, updated = sync_jobs()
    click.echo(f"jobs: {added} added, {updated} changed")


@jobs_cli.command("run")
@click.option("--poll", default=None, type=int, help="Seconds between looks for due jobs (JOBS_POLL_SECONDS).")
def jobs_run(poll):
    """The scheduler process: run due jobs until stopped (safe to start on several servers)."""
    from app.core.jobs import serve, sync_jobs

    sync_jobs()
    click.echo("scheduler running; Ctrl+C stops it")
    serve(current_app._get_current_object(), poll)


@jobs_cli.command("list")
def jobs_list():
    """Jobs with their next run and last result."""
    from app.core.jobs import Job

    for job in db.session.execute(select(Job).order_by(Job.id)).scalars():
        click.echo(f"{job.id:32} {'paused' if job.paused else 'active':7} next={job.next_run_at} "
                   f"last={job.last_run_at} {job.last_status or ''}")


tasks_cli = AppGroup("tasks", help="Background exports and imports (app/core/tasks.py).")


@tasks_cli.command("run")
def tasks_run():
    """Run the queued exports and imports now, then stop (the scheduler process does this on
    every poll; for TASKS_RUN=worker deployments and for a look by hand)."""
    from app.core.lists import export_import  # noqa: F401 (the handlers)
    from app.core import tasks

    ran = tasks.run_queued()
    click.echo(f"{len(ran)} tasks run")


@tasks_cli.command("list")
def tasks_list():
    """The latest tasks: id, owner, state, progress, rows."""
    from sqlalchemy import select

    from app.core.tasks import Task
    from app.extensions import db

    for t in db.session.execute(select(Task).order_by(Task.id.desc()).limit(30)).scalars():
        click.echo(f"{t.id}\t{t.owner.username if t.owner else t.owner_id}\t{t.kind}\t{t.state}\t{t.phase}\t"
                   f"{t.done}/{t.total or '?'}\t{t.title}")


credit_cli = AppGroup("credit", help="Credit (app/credit).")


@credit_cli.command("daily")
@click.option("--at", "at", default=None, metavar='"YYYY-MM-DD HH:MM"',
              help="Run as if it were this moment (e.g. after a publicity ends); default now.")
def credit_daily(at):
    """The daily credit job: publicity ends, expiry, scores, list proposals (app/credit/jobs.py)."""
    from app.credit import jobs

    moment = None
    if at:
        try:
            moment = datetime.fromisoformat(at.strip())
        except ValueError:
            raise click.BadParameter(f'{at!r}: use "YYYY-MM-DD HH:MM"', param_hint="--at")
    summary = jobs.run_daily(moment)
    click.echo(f"credit daily at {moment or 'now'}:")
    for key, value in summary.items():
        click.echo(f"  {key}: {value}")


def register_cli(app):
    from app.allocation import register_cli as allocation_cli

    allocation_cli(app)
    app.cli.add_command(credit_cli)
    app.cli.add_command(tasks_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(roles_cli)
    app.cli.add_command(seed_cli)
    app.cli.add_command(audit_cli)
