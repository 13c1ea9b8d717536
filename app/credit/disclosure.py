"""信息公示 (public disclosure, no login; product overview 信息公示, SPEC §5): what anyone may
read about an enterprise's credit, and the queries that read it.

What is public, and nothing else:

* the enterprise (active, of type enterprise): name and 统一社会信用代码;
* its 信用等级 and 信用分 (the base score and level when it was never computed);
* its red/black list entries in publicity or in effect (:data:`ListStatus.PUBLIC`) with the
  list type, reason and dates;
* its records in publicity, open for objection (:data:`RecordStatus.PUBLIC`): number, rule,
  scoring type and score, date of the event and the end of the publicity.

Never: applicants, handlers, objectors, mobiles, ID numbers, nor a record's facts (they may
name people). The search runs one statement per page (the score joined, the list status as a
correlated subquery on an index), LIMIT/OFFSET with a cap on the page number, and no COUNT.
"""
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from app.core.schemas import CONTROL_CHARS
from app.credit import scoring
from app.credit.models import CreditListEntry, CreditRecord, CreditScore, ListStatus, ListType, RecordStatus
from app.core.validators import is_valid_credit_code
from app.extensions import db
from app.system.models import Organization, OrgType

PAGE_SIZE = 20
MAX_PAGE = 100             # 2,000 results: past that, the visitor narrows the search
MAX_QUERY = 64
_CODE = re.compile(r"^[0-9A-Z]{1,32}$")


@dataclass
class Row:
    name: str
    credit_code: str
    level: str
    score: int
    black: str | None        # None, or the entry's status (effective / objected / publicity)
    red: str | None


@dataclass
class Page:
    rows: list
    page: int                # 1-based
    has_next: bool
    q: str
    message: str | None = None


def clean_query(raw):
    """``(q, message)``: the search text without control characters, at most MAX_QUERY long."""
    q = CONTROL_CHARS.sub("", str(raw or "")).replace("\x00", "").strip()
    if len(q) > MAX_QUERY:
        return "", _("The search text may be at most %(n)s characters.", n=MAX_QUERY)
    return q, None


def parse_page(raw):
    """``(page, message)``: a 1-based page number; anything else is page 1 with a message."""
    text = str(raw or "").strip()
    if not text:
        return 1, None
    if not text.isascii() or not text.isdigit() or len(text) > 6 or int(text) < 1:
        return 1, _("The page number is not valid; the first page is shown.")
    page = int(text)
    if page > MAX_PAGE:
        return 1, _("Only the first %(n)s pages can be shown; please narrow the search.", n=MAX_PAGE)
    return page, None


def _list_status(list_type):
    # 'effective' < 'objected' < 'publicity': the minimum is the strongest status.
    return (select(func.min(CreditListEntry.status))
            .where(CreditListEntry.org_id == Organization.id, CreditListEntry.list_type == list_type,
                   CreditListEntry.status.in_(ListStatus.PUBLIC))
            .correlate(Organization).scalar_subquery())


def _public_enterprises():
    return (Organization.org_type == OrgType.ENTERPRISE, Organization.active.is_(True))


def search(raw_q="", raw_page=None, session=None):
    """One page of public enterprises matching the name (contains) or the credit code (exact)."""
    session = session or db.session
    q, message = clean_query(raw_q)
    page, page_message = parse_page(raw_page)
    message = message or page_message
    stmt = (select(Organization.name, Organization.credit_code, CreditScore.level, CreditScore.score,
                   _list_status(ListType.BLACK).label("black"), _list_status(ListType.RED).label("red"))
            .outerjoin(CreditScore, CreditScore.org_id == Organization.id)
            .where(*_public_enterprises()))
    if q and is_valid_credit_code(q.upper()):
        # A valid code is looked up by the unique index (an OR with the name scanned every enterprise).
        stmt = stmt.where(Organization.credit_code == q.upper())
    elif q:
        stmt = stmt.where(or_(Organization.name.contains(q, autoescape=True),
                              Organization.credit_code == q.upper()))
    stmt = stmt.order_by(Organization.name, Organization.id).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    policy = scoring.Policy.current()
    base = policy.score(0, 0)
    rows = []
    for name, code, level, score, black, red in session.execute(stmt).all():
        rows.append(Row(name, code or "", level or policy.level(base), base if score is None else score,
                        black, red))
    return Page(rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE, q, message)


def normalise_code(raw):
    code = CONTROL_CHARS.sub("", str(raw or "")).strip().upper()
    return code if _CODE.match(code) else None


def enterprise_by_code(raw, session=None):
    """The public enterprise with this credit code, or None."""
    session = session or db.session
    code = normalise_code(raw)
    if code is None:
        return None
    return session.execute(select(Organization).where(Organization.credit_code == code, *_public_enterprises())
                           .limit(1)).scalars().first()


@dataclass
class Detail:
    org: Organization
    level: str
    score: int
    entries: list
    records: list


def detail(org, session=None):
    """What the public may read of one enterprise."""
    session = session or db.session
    score = scoring.score_of(org.id, session)
    entries = session.execute(select(CreditListEntry).where(
        CreditListEntry.org_id == org.id, CreditListEntry.status.in_(ListStatus.PUBLIC))
        .order_by(CreditListEntry.list_type, CreditListEntry.id.desc())).scalars().all()
    records = session.execute(select(CreditRecord).where(
        CreditRecord.org_id == org.id, CreditRecord.status.in_(RecordStatus.PUBLIC))
        .order_by(CreditRecord.publicity_until, CreditRecord.id)).scalars().all()
    return Detail(org, score.level, score.score, entries, records)
