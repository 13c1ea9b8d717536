"""Typed runtime parameters (系统参数): declared here with defaults, stored as rows that
sysadmin edits, read through :func:`get_param` (one accessor, kept per request and between
requests: app/core/cache.py)."""
from dataclasses import dataclass
from decimal import Decimal

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.cache import cached
from app.extensions import db

PARAMS_TTL = 60.0


@dataclass(frozen=True)
class ParamSpec:
    key: str
    type: str          # int, bool, str, decimal
    default: object
    label: object
    group: str = "system"
    min: int | None = None
    max: int | None = None


# Parameter groups as the screen names them.
GROUP_LABELS = {
    "security": _l("Login and security"), "system": _l("General"), "audit": _l("Audit log"),
    "credit": _l("Credit management"), "rental": _l("Housing rental"),
    "allocation": _l("Affordable housing allocation"), "sms": _l("SMS messages"),
    "deadline": _l("Handling deadlines"), "complaint": _l("Complaints and requests"), "upload": _l("File uploads"),
    "property": _l("Property management"),
}


def group_label(code):
    label = GROUP_LABELS.get(code)
    return str(label) if label is not None else (code or "")


PARAMS = {p.key: p for p in [
    ParamSpec("security.lockout_threshold", "int", 5, _l("Failed logins before the account is locked"), "security", 1, 100),
    ParamSpec("security.lockout_minutes", "int", 30, _l("Lockout duration (minutes)"), "security", 1, 1440),
    ParamSpec("security.idle_timeout_minutes", "int", 30, _l("Idle session timeout (minutes)"), "security", 1, 1440),
    ParamSpec("security.password_max_age_days", "int", 0, _l("Password maximum age in days (0: never expires)"), "security", 0, 3650),
    ParamSpec("list.page_size_max", "int", 200, _l("Largest page size a list may show"), "system", 10, 1000),
    ParamSpec("list.count_cap", "int", 10000,
              _l("Rows a list counts before showing its total as N+ (an exact count on request)"), "system", 100, 10000000),
    ParamSpec("import.max_rows", "int", 100000, _l("Largest number of rows one import may hold"), "system", 1, 1000000),
    ParamSpec("import.error_keep_hours", "int", 24, _l("Hours an import's error workbook (it holds the uploaded rows) is kept"), "system", 1, 720),
    ParamSpec("import.background_kb", "int", 512, _l("Uploads larger than this (KB) are imported in the background with a progress bar"), "system", 1, 1048576),
    ParamSpec("export.sync_rows", "int", 5000, _l("Exports of at most this many rows download at once; larger ones run in the background"), "system", 0, 1000000),
    ParamSpec("export.keep_hours", "int", 24, _l("Hours a finished export file is kept for its owner"), "system", 1, 720),
    ParamSpec("tasks.max_active", "int", 3, _l("Exports and imports one user may have waiting or running at once"), "system", 1, 50),
    ParamSpec("audit.retention_months", "int", 12, _l("Audit log retention (months, at least 12)"), "audit", 12, 120),
    ParamSpec("credit.base_score", "int", 60, _l("Credit base score"), "credit", 0, 1000),
    ParamSpec("credit.bonus_cap", "int", 40, _l("Most bonus points that count towards the credit score"), "credit", 0, 1000),
    ParamSpec("credit.level_aaa", "int", 90, _l("Lowest credit score of level AAA"), "credit", 0, 2000),
    ParamSpec("credit.level_aa", "int", 80, _l("Lowest credit score of level AA"), "credit", 0, 2000),
    ParamSpec("credit.level_a", "int", 70, _l("Lowest credit score of level A"), "credit", 0, 2000),
    ParamSpec("credit.level_b", "int", 60, _l("Lowest credit score of level B (below it: C)"), "credit", 0, 2000),
    ParamSpec("credit.general_validity_months", "int", 12,
              _l("Default validity of a general scoring standard (months)"), "credit", 1, 120),
    ParamSpec("credit.serious_validity_months", "int", 36,
              _l("Default validity of a serious scoring standard (months)"), "credit", 1, 120),
    ParamSpec("credit.record_publicity_days", "int", 5,
              _l("Publicity of an approved credit record (working days)"), "credit", 0, 60),
    ParamSpec("credit.list_publicity_days", "int", 7,
              _l("Publicity of a red or black list entry (working days)"), "credit", 0, 60),
    ParamSpec("credit.black_default_months", "int", 12, _l("Default validity of a black list entry (months)"), "credit", 1, 120),
    ParamSpec("credit.black_min_months", "int", 6, _l("Shortest validity of a black list entry (months)"), "credit", 1, 120),
    ParamSpec("credit.black_max_months", "int", 36, _l("Longest validity of a red or black list entry (months)"), "credit", 1, 120),
    ParamSpec("credit.red_default_months", "int", 12, _l("Default validity of a red list entry (months)"), "credit", 1, 120),
    ParamSpec("credit.red_hold_days", "int", 180,
              _l("Days an enterprise must hold level AAA before a red list proposal"), "credit", 0, 3650),
    ParamSpec("credit.repair_min_days", "int", 90,
              _l("Days a black list entry must be in effect before credit repair may be applied for"), "credit", 0, 3650),
    ParamSpec("credit.complaint_overdue_rule", "str", "WY-K-003",
              _l("Scoring standard applied to requests not completed by their deadline"), "credit"),
    ParamSpec("rental.require_online_signing", "bool", True, _l("Contract must be signed online before filing"), "rental"),
    ParamSpec("rental.verification_valid_days", "int", 30,
              _l("Days a passed listing verification stays valid"), "rental", 1, 365),
    ParamSpec("rental.verify_fail_limit", "int", 5,
              _l("Failed listing verifications allowed per account in the window"), "rental", 1, 1000),
    ParamSpec("rental.verify_fail_window_minutes", "int", 60,
              _l("Window for counting failed listing verifications (minutes)"), "rental", 1, 1440),
    ParamSpec("rental.api_calls_per_minute", "int", 60,
              _l("Listing verification calls per API key per minute (0: no limit)"), "rental", 0, 100000),
    ParamSpec("rental.filing_due_days", "int", 30,
              _l("Days after signing within which a contract must be filed"), "rental", 1, 365),
    ParamSpec("rental.check_fail_limit", "int", 10,
              _l("Wrong contract checks (number and check code) allowed per network address per hour"), "rental", 1, 10000),
    ParamSpec("rental.filing_overdue_rule", "str", "ZL-K-002",
              _l("Scoring standard applied to contracts not filed in time"), "rental"),
    ParamSpec("rental.max_term_years", "int", 20, _l("Longest lease term (years)"), "rental", 1, 20),
    ParamSpec("allocation.publicity_working_days", "int", 5,
              _l("Publicity of the eligible list for objections (working days)"), "allocation", 0, 60),
    ParamSpec("allocation.result_publicity_days", "int", 5,
              _l("Publicity of the lottery results (working days)"), "allocation", 0, 60),
    ParamSpec("allocation.max_family_members", "int", 9,
              _l("Most family members one filing may list"), "allocation", 1, 30),
    ParamSpec("allocation.count_cache_seconds", "int", 5,
              _l("Seconds the public pages reuse the number registered"), "allocation", 0, 300),
    ParamSpec("allocation.public_cache_seconds", "int", 30,
              _l("Seconds browsers and proxies may keep the public plan pages"), "allocation", 0, 3600),
    # 物业服务合同备案 (app/property/filings): due days after signing, and the credit standard of a late filing.
    ParamSpec("property.contract_filing_days", "int", 15,
              _l("Days after signing within which a property service contract must be filed"), "property", 1, 365),
    ParamSpec("property.contract_overdue_rule", "str", "WY-K-001",
              _l("Scoring standard applied to property service contracts not filed in time"), "property"),
    ParamSpec("upload.max_mb", "int", 10, _l("Largest file one upload may hold (MB)"), "system", 1, 100),
    ParamSpec("sms.code_ttl_minutes", "int", 5, _l("SMS verification code validity (minutes)"), "sms", 1, 60),
    ParamSpec("sms.resend_seconds", "int", 60, _l("Seconds before a new SMS code may be requested"), "sms", 10, 3600),
    ParamSpec("sms.max_attempts", "int", 5, _l("Wrong tries allowed per SMS code"), "sms", 1, 20),
    ParamSpec("sms.daily_per_mobile", "int", 10, _l("SMS codes per mobile number per day"), "sms", 1, 1000),
    ParamSpec("sms.daily_per_ip", "int", 50, _l("SMS codes per IP address per day"), "sms", 1, 100000),
    ParamSpec("realname.daily_attempts", "int", 5, _l("Real-name verification attempts per person per day"), "security", 1, 100),
    # Deadlines (app/core/deadlines.py): deadline.<kind>_days and deadline.<kind>_working_days.
    ParamSpec("deadline.complaint_days", "int", 5, _l("Complaint handling deadline (days)"), "deadline", 1, 365),
    ParamSpec("deadline.complaint_working_days", "bool", False, _l("Complaint deadline counts working days only"), "deadline"),
    ParamSpec("complaint.auto_close_days", "int", 7, _l("Days after handling before an unevaluated request closes"), "complaint", 1, 90),
    ParamSpec("complaint.overdue_deduction_points", "int", 2, _l("Credit points proposed for deduction per overdue request"), "complaint", 0, 100),
    ParamSpec("deadline.due_soon_hours", "int", 24, _l("Hours before a deadline counted as due soon"), "deadline", 1, 720),
    ParamSpec("deadline.application_review_days", "int", 20,
              _l("Days a submitted business application may wait for its decision before it counts as overdue"),
              "deadline", 1, 365),
    # 物业服务 (app/property/service): 报修 photos, 满意度调查 and 检查考评 thresholds and their credit rules.
    ParamSpec("property.repair_photo_max_mb", "int", 5, _l("Largest photo of a repair report (MB)"), "property", 1, 20),
    ParamSpec("property.repair_photo_max_files", "int", 6, _l("Most photos of one repair report"), "property", 1, 20),
    ParamSpec("property.survey_min_answers", "int", 1,
              _l("Fewest answers a company needs in a survey before its average counts for credit"), "property", 1, 100000),
    ParamSpec("property.survey_deduction_below", "decimal", "3.0",
              _l("Survey average (1 to 5) below which the company gets a credit deduction"), "property"),
    ParamSpec("property.survey_bonus_at", "decimal", "4.5",
              _l("Survey average (1 to 5) at or above which the company gets a credit bonus"), "property"),
    ParamSpec("property.survey_deduction_rule", "str", "WY-K-008",
              _l("Scoring standard applied to a company whose survey average is too low"), "property"),
    ParamSpec("property.survey_bonus_rule", "str", "WY-J-003",
              _l("Scoring standard applied to a company whose survey average is excellent"), "property"),
    ParamSpec("property.evaluation_items", "str",
              '[{"name": "综合管理", "max": 20}, {"name": "房屋管理", "max": 15}, {"name": "共用设施设备", "max": 20}, '
              '{"name": "秩序维护", "max": 15}, {"name": "环境卫生", "max": 15}, {"name": "绿化", "max": 15}]',
              _l("Checklist of inspection evaluations (JSON: name and full score of each item)"), "property"),
    ParamSpec("property.evaluation_deduction_below", "int", 60,
              _l("Inspection total below which the company gets a credit deduction"), "property", 0, 1000),
    ParamSpec("property.evaluation_bonus_at", "int", 90,
              _l("Inspection total at or above which the company gets a credit bonus"), "property", 0, 1000),
    ParamSpec("property.evaluation_deduction_rule", "str", "WY-K-009",
              _l("Scoring standard applied to a failed inspection evaluation"), "property"),
    ParamSpec("property.evaluation_bonus_rule", "str", "WY-J-005",
              _l("Scoring standard applied to an excellent inspection evaluation"), "property"),
    ParamSpec("property.committee_filing_days", "int", 30,
              _l("Days after its election within which an owners committee must file"), "property", 1, 365),
    # 诚信登记 / 良好行为申报 (app/property/honour): publicity for objections, then the credit bonus.
    ParamSpec("property.honour_publicity_days", "int", 5,
              _l("Publicity of a good-behaviour declaration for objections (working days)"), "property", 1, 60),
    ParamSpec("property.honour_bonus_rule", "str", "WY-J-002",
              _l("Scoring standard applied to an approved good-behaviour declaration"), "property"),
    # The footer of every public page (app/templates/anju/public_base.html): who to call for help.
    ParamSpec("site.service_contact", "str", "服务热线：12345（工作日 9:00—17:00）",
              _l("Service contact shown in the footer of public pages"), "system"),
]}


def parse_value(spec, raw):
    """Convert stored text to the declared type; raise ValueError with a Chinese message."""
    from flask_babel import gettext as _

    if spec.type == "int":
        try:
            value = int(str(raw).strip())
        except (TypeError, ValueError):
            raise ValueError(_("Please enter a whole number"))
        if spec.min is not None and value < spec.min or spec.max is not None and value > spec.max:
            raise ValueError(_("The value must be between %(min)s and %(max)s", min=spec.min, max=spec.max))
        return value
    if spec.type == "bool":
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "y", "是", "on"):
            return True
        if text in ("0", "false", "no", "n", "否", "off"):
            return False
        raise ValueError(_("Please enter 是 or 否"))
    if spec.type == "decimal":
        try:
            return Decimal(str(raw).strip())
        except Exception:
            raise ValueError(_("Please enter a number"))
    return str(raw)


def format_value(spec, value):
    if spec.type == "bool":
        return "true" if value else "false"
    return str(value)


def get_param(key):
    """The current value of a declared parameter (its default when no row exists)."""
    from app.system.models import Parameter

    spec = PARAMS[key]
    cache = None
    if has_request_context():
        cache = g.setdefault("_params", {})
        if key in cache:
            return cache[key]
        stored = g.get("_param_rows")
        if stored is None:
            # Every parameter row in one query, kept between requests (app/core/cache.py): a
            # change in this process counts at once, in another within PARAMS_TTL seconds.
            stored = g._param_rows = cached(
                "params", None, ("anju_param",), PARAMS_TTL,
                lambda: dict(db.session.execute(select(Parameter.key, Parameter.value)).all()))
        raw = stored.get(key)
    else:
        raw = db.session.execute(select(Parameter.value).where(Parameter.key == key)).scalar()
    try:
        value = spec.default if raw is None else parse_value(spec, raw)
    except ValueError:
        value = spec.default
    if cache is not None:
        cache[key] = value
    return value


def ensure_params(session=None):
    """Insert the declared parameters that have no row yet (idempotent)."""
    from app.system.models import Parameter

    session = session or db.session
    existing = set(session.execute(select(Parameter.key)).scalars())
    added = 0
    for spec in PARAMS.values():
        if spec.key not in existing:
            session.add(Parameter(key=spec.key, value=format_value(spec, spec.default),
                                  value_type=spec.type, group=spec.group,
                                  description=str(spec.label)))
            added += 1
    return added
