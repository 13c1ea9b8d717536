"""Services for the public (seed 000 平台服务) and what government keeps for them: the rules.

* 合同范本: :func:`save_template` (placeholders checked, clauses parsed; a template a contract
  uses is never changed: its edit is version n+1), :func:`newest_templates`, :func:`seed_templates`.
* 合同验证: :func:`check_contract` by contract number + 校验码, rate-limited per network
  address (:func:`check_guard`) and answering one message whether the number exists or not.
* 合同上传: :func:`submit_for_review` and :func:`review`.
* 合同咨询: :func:`machine_check` (app/rental/public/clauses.py reads the file) and
  :func:`choose_legal_service`.
* 交易评价: :func:`bind` (contract number + 校验码, or 房源识别码) finds the user's party by their
  real-name ID number; :func:`evaluate` once per contract per party; :func:`enterprise_averages`.
* 法律帮助: :func:`legal_page`, :func:`seed_legal_pages`.

Functions take the acting user and raise DomainError with a Chinese message; the ones a page
calls as one step commit (said in each docstring).
"""
import hashlib
import hmac
import re
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.core import uploads
from app.core.errors import DomainError
from app.extensions import db
from app.rental.contracts.models import ContractStatus, ContractTemplate, ContractTenant, RentalContract
from app.rental.contracts.services import DEFAULT_BODY, DEFAULT_CLAUSES, PLACEHOLDERS
from app.rental.public.models import (
    ContractSubmission,
    EvaluationParty,
    LegalPage,
    LegalService,
    RentalEvaluation,
    SubmissionKind,
    SubmissionStatus,
)


def _field(label, message):
    return DomainError(_("%(field)s: %(message)s", field=label, message=message))


def _text(value, label, limit, required=True):
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not text:
        raise _field(label, _("is required"))
    if len(text) > limit:
        raise _field(label, _("may be at most %(n)s characters", n=limit))
    return text


def _file_name(file):
    if isinstance(file, tuple):
        return file[0] or ""
    return getattr(file, "filename", "") or ""


def _file_bytes(file):
    if isinstance(file, tuple):
        return file[1]
    stream = getattr(file, "stream", file)
    stream.seek(0)
    data = stream.read()
    stream.seek(0)
    return data


def _chosen(files):
    return [f for f in (files or []) if _file_name(f)]


def _only_kinds(files, allowed, label):
    for f in files:
        name = _file_name(f).lower()
        if not name.endswith(tuple("." + k for k in allowed)):
            raise _field(label, _("%(name)s: only %(kinds)s files are accepted here",
                                  name=uploads.clean_name(_file_name(f)),
                                  kinds="、".join(k.upper() for k in allowed)))


# --- 合同范本 -------------------------------------------------------------------------------

TEMPLATE_FILE_LABEL = _l("Template file")
TEMPLATE_FILE_KINDS = ("docx", "pdf")
MAX_BODY = 50_000
MAX_NOTES = 5_000
MAX_CLAUSES = 30
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
_PLACEHOLDER = re.compile(r"\{([^{}\n]*)\}")
_CLAUSE_SPLIT = re.compile(r"[：:]")
_KEYWORD_SPLIT = re.compile(r"[,，、;；\s]+")

DEFAULT_NOTES = (
    "1. 上传前请核对合同双方的姓名、证件号码与身份证明一致；\n"
    "2. 合同须写明租金、押金、租赁期限、租赁用途、维修责任、违约责任和争议解决方式；\n"
    "3. 已网签的合同请先进行合同验证（合同编号与校验码），验证后上传的合同自动关联；\n"
    "4. 上传 PDF、Word（.docx）或清晰的照片（JPG、PNG），单个文件不超过 10 MB；\n"
    "5. 上传的合同仅用于审阅与咨询，不对外公开。"
)


def check_body(body):
    """The contract text with only known {placeholders}; returns it stripped."""
    body = _text(body, _("Contract text"), MAX_BODY)
    unknown = []
    for name in _PLACEHOLDER.findall(body):
        if name not in PLACEHOLDERS and name not in unknown:
            unknown.append(name)
    if unknown:
        raise _field(_("Contract text"), _("unknown placeholders %(unknown)s; the known ones are %(known)s",
                                           unknown="、".join("{%s}" % n for n in unknown),
                                           known="、".join("{%s}" % n for n in PLACEHOLDERS)))
    return body


def parse_clauses(text):
    """必备条款 typed one a line as ``名称：关键词1，关键词2`` (without keywords the name is the
    keyword) -> [{"key", "label", "keywords"}]. Keys follow the default clauses' where the
    name is one of theirs."""
    default_keys = {c["label"]: c["key"] for c in DEFAULT_CLAUSES}
    clauses, seen = [], set()
    for n, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        label, rest = _split_clause(line)
        if not label:
            raise _field(_("Required clauses"), _("line %(n)s has no clause name", n=n))
        if len(label) > 32:
            raise _field(_("Required clauses"), _("line %(n)s: a clause name may be at most %(m)s characters",
                                                  n=n, m=32))
        if label in seen:
            raise _field(_("Required clauses"), _("%(label)s is listed twice", label=label))
        keywords = [k for k in _KEYWORD_SPLIT.split(rest) if k] or [label]
        if any(len(k) > 32 for k in keywords) or len(keywords) > 20:
            raise _field(_("Required clauses"), _("line %(n)s: at most 20 keywords of at most 32 characters",
                                                  n=n))
        seen.add(label)
        clauses.append({"key": default_keys.get(label, f"c{len(clauses) + 1}"), "label": label,
                        "keywords": keywords})
    if not clauses:
        raise _field(_("Required clauses"), _("list at least one clause"))
    if len(clauses) > MAX_CLAUSES:
        raise _field(_("Required clauses"), _("at most %(n)s clauses", n=MAX_CLAUSES))
    return clauses


def _split_clause(line):
    parts = _CLAUSE_SPLIT.split(line, maxsplit=1)
    label = parts[0].strip()
    rest = parts[1].strip() if len(parts) > 1 else ""
    return label, rest


def clauses_text(clauses):
    """The clauses as the form shows them, one a line."""
    return "\n".join(f"{c['label']}：{'，'.join(c.get('keywords') or [])}" for c in (clauses or DEFAULT_CLAUSES))


def template_in_use(template, session=None):
    """A contract was rendered from this version: it must never change."""
    session = session or db.session
    if template.id is None:
        return False
    return session.execute(select(RentalContract.id).where(RentalContract.template_id == template.id)
                           .limit(1)).first() is not None


def _clean_template(fields):
    code = (fields.get("code") or "").strip()
    if not code:
        raise _field(_("Template code"), _("is required"))
    if not _CODE.match(code):
        raise _field(_("Template code"), _("letters, digits, - and _ only, at most 32 characters"))
    active = fields.get("active")
    return {
        "code": code,
        "name": _text(fields.get("name"), _("Template name"), 128),
        "body": check_body(fields.get("body")),
        "required_clauses": parse_clauses(fields.get("clauses")),
        "notes": _text(fields.get("notes"), _("Notes for uploads"), MAX_NOTES, required=False) or None,
        "active": active not in (None, "", "0", "false", "n", False),
    }


def template_file(template):
    files = uploads.files_of(template, label=str(TEMPLATE_FILE_LABEL)) if template is not None else []
    return files[-1] if files else None


def _copy_file(source, target, actor):
    path = uploads.path_of(source)
    with open(path, "rb") as fh:
        data = fh.read()
    uploads.save((source.original_name, data), label=str(TEMPLATE_FILE_LABEL), owner=target, user=actor)


def save_template(actor, fields, template=None, file=None, moment=None, session=None):
    """Add a template (``template`` None) or change one. A version a contract uses stays as it
    is: the change becomes version n+1 (its file carried over unless a new one is given).
    Returns the row saved (the new version, or the same row). Does not commit."""
    session = session or db.session
    moment = moment or datetime.now()
    data = _clean_template({**fields, "code": template.code if template is not None else fields.get("code")})
    file = file if file is not None and _file_name(file) else None
    if file is not None:
        _only_kinds([file], TEMPLATE_FILE_KINDS, _("Template file"))
        uploads.check(file)
    if template is None:
        taken = session.execute(select(ContractTemplate.id).where(ContractTemplate.code == data["code"])
                                .limit(1)).first()
        if taken:
            raise _field(_("Template code"), _("%(code)s is already used by another template", code=data["code"]))
        row = ContractTemplate(version=1, created_by_fk=getattr(actor, "id", None), created_on=moment,
                               published_at=moment, **data)
        session.add(row)
        session.flush()
    else:
        unchanged = all(getattr(template, k) == v for k, v in data.items())
        if unchanged and file is None:
            return template
        if template_in_use(template, session):
            newest = session.execute(select(func.max(ContractTemplate.version))
                                     .where(ContractTemplate.code == template.code)).scalar_one()
            row = ContractTemplate(version=(newest or 0) + 1, created_by_fk=getattr(actor, "id", None),
                                   created_on=moment, published_at=moment, **data)
            session.add(row)
            session.flush()
            old_file = template_file(template)
            if file is None and old_file is not None:
                _copy_file(old_file, row, actor)
        else:
            row = template
            for key, value in data.items():
                setattr(row, key, value)
            session.flush()
    if file is not None:
        for old in uploads.files_of(row, label=str(TEMPLATE_FILE_LABEL)):
            uploads.remove(old)
        uploads.save(file, label=str(TEMPLATE_FILE_LABEL), owner=row, user=actor)
    return row


def newest_templates(session=None):
    """The newest version of each template code, where that version is active (合同范本下载)."""
    session = session or db.session
    newest = (select(ContractTemplate.code, func.max(ContractTemplate.version).label("version"))
              .group_by(ContractTemplate.code).subquery())
    stmt = (select(ContractTemplate)
            .join(newest, (ContractTemplate.code == newest.c.code) & (ContractTemplate.version == newest.c.version))
            .where(ContractTemplate.active.is_(True)).order_by(ContractTemplate.code))
    return session.execute(stmt).scalars().all()


def public_template(template_id, session=None):
    """A template the public may open: one of the newest active versions, else None."""
    try:
        template_id = int(template_id)
    except (TypeError, ValueError):
        return None
    for t in newest_templates(session):
        if t.id == template_id:
            return t
    return None


def seed_templates(session=None):
    """The default 合同范本 ZLHT-CQ (DEFAULT_BODY, DEFAULT_CLAUSES) when no template has that code
    (idempotent; ``seed reference`` calls it). Returns the number added; the caller commits."""
    session = session or db.session
    if session.execute(select(ContractTemplate.id).where(ContractTemplate.code == "ZLHT-CQ").limit(1)).first():
        return 0
    session.add(ContractTemplate(code="ZLHT-CQ", name="重庆市住房租赁合同（示范文本）", version=1, body=DEFAULT_BODY,
                                 required_clauses=[dict(c) for c in DEFAULT_CLAUSES], notes=DEFAULT_NOTES,
                                 active=True, published_at=datetime.now()))
    session.flush()
    return 1


# --- 合同验证 -------------------------------------------------------------------------------

CHECK_WINDOW = "%Y%m%d%H"          # wrong guesses are counted per network address per hour
CHECKABLE = (ContractStatus.SIGNED, ContractStatus.REVOKED)


def _guard_key(ip, moment):
    digest = hashlib.sha256((ip or "-").encode()).hexdigest()[:20]
    return f"rental_check:{digest}:{moment.strftime(CHECK_WINDOW)}"


def _wrong_guesses(key, session):
    from app.core.sequences import Sequence

    return session.execute(select(Sequence.value).where(Sequence.name == key)).scalar() or 0


def check_guard(ip, moment=None, session=None):
    """Refuse a network address that guessed wrong too often this hour (parameter
    ``rental.check_fail_limit``): even a right pair is refused then, so numbers and codes
    cannot be tried out."""
    from app.system.params import get_param

    session = session or db.session
    moment = moment or datetime.now()
    if _wrong_guesses(_guard_key(ip, moment), session) >= get_param("rental.check_fail_limit"):
        raise DomainError(_("Too many wrong contract numbers, check codes or listing codes were entered from your "
                            "network. Please try again in an hour."))


def _count_wrong_guess(ip, moment, session):
    """Count a wrong guess and commit it at once (the refusal that follows rolls back nothing)."""
    from app.core.sequences import next_value

    session.rollback()
    next_value(_guard_key(ip, moment), session=session)
    session.commit()


WRONG_PAIR = _l("The contract number and check code do not match a signed contract. Please check both and try again.")


def find_by_number(number, code, ip, moment=None, session=None):
    """The signed (or revoked) contract with this number and 校验码; one message whether the
    number exists or the code is wrong. Wrong pairs count against the address's limit."""
    session = session or db.session
    moment = moment or datetime.now()
    number = re.sub(r"\s+", "", number or "").upper()
    code = re.sub(r"\s+", "", code or "").upper()
    if not number or not code:
        raise DomainError(_("Please enter the contract number and the check code."))
    check_guard(ip, moment, session)
    contract = None
    if len(number) <= 32 and len(code) <= 12:
        contract = session.execute(select(RentalContract).where(
            RentalContract.number == number, RentalContract.status.in_(CHECKABLE))).scalars().first()
    # Compared in constant time, and a missing contract still compares: no timing oracle.
    stored = contract.check_code if contract is not None and contract.check_code else "\0" * 6
    if not hmac.compare_digest(stored.encode(), code.encode()) or contract is None:
        _count_wrong_guess(ip, moment, session)
        raise DomainError(str(WRONG_PAIR))
    return contract


def public_facts(contract):
    """What anyone holding the number and code may read: no person, no full address."""
    from app.rental.labels import CONTRACT_STATUS_LABELS, FILING_STATUS_LABELS
    from app.system.models import Region

    district = db.session.get(Region, contract.region_code) if contract.region_code else None
    return {
        "number": contract.number,
        "status": contract.status,
        "status_label": str(CONTRACT_STATUS_LABELS.get(contract.status, contract.status)),
        "start_date": contract.start_date.isoformat() if contract.start_date else None,
        "end_date": contract.end_date.isoformat() if contract.end_date else None,
        "signed_date": contract.signed_at.strftime("%Y-%m-%d") if contract.signed_at else None,
        "revoked_date": contract.revoked_at.strftime("%Y-%m-%d") if contract.revoked_at else None,
        "filing_status": contract.filing_status,
        "filing_status_label": str(FILING_STATUS_LABELS.get(contract.filing_status, contract.filing_status)),
        "filing_number": contract.filing_number,
        "enterprise": contract.org.name if contract.org is not None else None,
        "district": district.name if district is not None else None,
    }


def check_contract(number, code, ip, moment=None, session=None):
    """合同验证: the contract's public facts (see :func:`public_facts`)."""
    return public_facts(find_by_number(number, code, ip, moment, session))


# --- 合同上传 -------------------------------------------------------------------------------

UPLOAD_KINDS = ("pdf", "docx", "jpg", "jpeg", "png")
MAX_UPLOAD_FILES = 5
SUBMISSION_FILE_LABEL = _l("Contract file")


def district_choices(session=None):
    from app.system.models import Region

    session = session or db.session
    return session.execute(select(Region.code, Region.name).where(Region.level == "district")
                           .order_by(Region.code)).all()


def submit_for_review(user, files, number=None, code=None, region_code=None, ip=None, moment=None):
    """合同上传: the files with the contract number and 校验码 when it was signed online (the
    upload is then linked and goes to the contract's district), else the district the user
    names. Commits; returns the submission."""
    from app.system.models import Region

    session = db.session
    moment = moment or datetime.now()
    if user is None:
        raise DomainError(_("Please sign in first."))
    files = _chosen(files)
    if not files:
        raise _field(_("Contract file"), _("please choose the file(s) to upload"))
    if len(files) > MAX_UPLOAD_FILES:
        raise _field(_("Contract file"), _("at most %(n)s files", n=MAX_UPLOAD_FILES))
    _only_kinds(files, UPLOAD_KINDS, _("Contract file"))
    for f in files:
        uploads.check(f)
    contract = None
    if (number or "").strip() or (code or "").strip():
        contract = find_by_number(number, code, ip, moment, session)
        region = contract.region_code
    else:
        region = (region_code or "").strip()
        if not region:
            raise _field(_("District of the property"), _("is required when the contract has not been verified"))
        found = session.get(Region, region)
        if found is None or found.level != "district":
            raise _field(_("District of the property"), _("please choose one of the listed values"))
    submission = ContractSubmission(kind=SubmissionKind.REVIEW, status=SubmissionStatus.SUBMITTED,
                                    contract_id=contract.id if contract is not None else None,
                                    contract_number=contract.number if contract is not None else None,
                                    region_code=region, created_by_fk=user.id, created_on=moment)
    session.add(submission)
    session.flush()
    uploads.save_many(files, label=str(SUBMISSION_FILE_LABEL), owner=submission, user=user)
    session.commit()
    return submission


def review(submission, actor, comment, moment=None):
    """审阅: the staff's comment; the submission is 已审阅 (the submitter reads it on 我的合同上传).
    Does not commit."""
    if submission.kind != SubmissionKind.REVIEW:
        raise DomainError(_("Only an uploaded contract can be reviewed."))
    if submission.status != SubmissionStatus.SUBMITTED:
        raise DomainError(_("This contract upload has already been reviewed."))
    submission.review_comment = _text(comment, _("Review comment"), 2000)
    submission.status = SubmissionStatus.REVIEWED
    submission.reviewed_by_fk = actor.id
    submission.reviewed_at = moment or datetime.now()
    return submission


def my_submissions(user, kind, limit=100):
    return db.session.execute(select(ContractSubmission).where(
        ContractSubmission.created_by_fk == user.id, ContractSubmission.kind == kind)
        .order_by(ContractSubmission.id.desc()).limit(limit)).scalars().all()


# --- 合同咨询 -------------------------------------------------------------------------------

CHECK_KINDS = ("docx", "pdf")


def clauses_of(template):
    return (template.required_clauses if template is not None and template.required_clauses else
            [dict(c) for c in DEFAULT_CLAUSES])


def machine_check(user, file, template_id=None, moment=None):
    """合同咨询's machine check: the file's text against the chosen template's required clauses.
    Stores a ContractSubmission (kind check) with what was found and what is missing, and the
    file (the user may open it again). Commits; returns the submission."""
    from app.rental.public import clauses

    session = db.session
    if user is None:
        raise DomainError(_("Please sign in first."))
    if file is None or not _file_name(file):
        raise _field(_("Contract file"), _("please choose the file(s) to upload"))
    templates = newest_templates(session)
    template = None
    if template_id not in (None, ""):
        template = next((t for t in templates if str(t.id) == str(template_id)), None)
        if template is None:
            raise _field(_("Contract template"), _("please choose one of the listed values"))
    elif templates:
        template = templates[0]
    _only_kinds([file], CHECK_KINDS, _("Contract file"))
    uploads.check(file)
    text = clauses.extract_text(_file_name(file), _file_bytes(file))
    found, missing = clauses.check(text, clauses_of(template))
    submission = ContractSubmission(kind=SubmissionKind.CHECK, status=SubmissionStatus.CHECKED,
                                    template_id=template.id if template is not None else None,
                                    found_clauses=found, missing_clauses=missing,
                                    created_by_fk=user.id, created_on=moment or datetime.now())
    session.add(submission)
    session.flush()
    uploads.save(file, label=str(SUBMISSION_FILE_LABEL), owner=submission, user=user)
    session.commit()
    return submission


def legal_services(session=None):
    session = session or db.session
    return session.execute(select(LegalService).where(LegalService.active.is_(True))
                           .order_by(LegalService.sort, LegalService.id)).scalars().all()


def choose_legal_service(submission, user, service_id):
    """签约机构合同咨询: the user's choice of 律师事务所 / 法律咨询公司 on their own check. Commits."""
    if submission is None or user is None or submission.created_by_fk != user.id \
            or submission.kind != SubmissionKind.CHECK:
        raise DomainError(_("This contract consultation is not yours."))
    service = None
    if str(service_id or "").isdigit():
        service = db.session.get(LegalService, int(service_id))
    if service is None or not service.active:
        raise _field(_("Legal service"), _("please choose one of the listed values"))
    submission.legal_service_id = service.id
    db.session.commit()
    return service


# --- 交易评价 -------------------------------------------------------------------------------

MAX_COMMENT = 500


def _person(user):
    from app.accounts.services import person_of
    from app.accounts.models import RealnameStatus

    person = person_of(user) if user is not None else None
    if person is None or person.realname_status != RealnameStatus.VERIFIED:
        raise DomainError(_("Only a real-name verified user may evaluate a transaction. Please complete real-name "
                            "verification first."))
    return person


def party_of(contract, person):
    """承租人 when the person is a tenant of the contract, 出租人 when an owner its verification
    named, else None (matched by the real-name ID number)."""
    key = (person.id_type or "resident_id", (person.id_number or "").upper())
    for tenant in contract.tenants:
        if (tenant.id_type, (tenant.id_number or "").upper()) == key:
            return EvaluationParty.TENANT
    owners = contract.verification.owners if contract.verification is not None else []
    for owner in owners or []:
        if (owner.get("id_type") or "resident_id", (owner.get("id_number") or "").upper()) == key:
            return EvaluationParty.LESSOR
    return None


NOT_A_PARTY = _l("You are neither a tenant of this contract nor an owner who let the property, so you cannot "
                 "evaluate it.")


def bind(user, number=None, code=None, listing_code=None, ip=None, moment=None, session=None):
    """绑定订单: the contract (by 合同编号 + 校验码, or by 房源识别码: the signed contract of that
    listing in which the user is a party) and the user's party. Returns (contract, party)."""
    from app.rental.verification import services as verifications

    session = session or db.session
    moment = moment or datetime.now()
    person = _person(user)
    listing_code = re.sub(r"\s+", "", listing_code or "").upper()
    if (number or "").strip() or (code or "").strip():
        contract = find_by_number(number, code, ip, moment, session)
        party = party_of(contract, person)
        if party is None:
            raise DomainError(str(NOT_A_PARTY))
        return contract, party
    if not listing_code:
        raise DomainError(_("Please enter the contract number and check code, or the listing code."))
    check_guard(ip, moment, session)
    verification = verifications.by_code(listing_code, session) if len(listing_code) <= 24 else None
    contracts = []
    if verification is not None:
        contracts = session.execute(select(RentalContract).where(
            RentalContract.verification_id == verification.id, RentalContract.status.in_(CHECKABLE))
            .order_by(RentalContract.signed_at.desc(), RentalContract.id.desc())).scalars().all()
    for contract in contracts:
        party = party_of(contract, person)
        if party is not None:
            return contract, party
    if verification is None:
        _count_wrong_guess(ip, moment, session)
    raise DomainError(_("No signed contract of this listing code names you as a tenant or an owner."))


def _score(value, label):
    try:
        score = int(str(value).strip())
    except (TypeError, ValueError):
        score = None
    if score not in (1, 2, 3, 4, 5):
        raise _field(label, _("please choose 1 to 5 points"))
    return score


def party_label(code):
    from app.rental.labels import PARTY_LABELS

    return str(PARTY_LABELS.get(code, code or ""))


def already_evaluated(contract, party):
    return _("Contract %(number)s has already been evaluated by its %(party)s; each party evaluates a contract "
             "once.", number=contract.number, party=party_label(party))


def evaluate(user, fields, ip=None, moment=None):
    """提交评价: bind the transaction, score it (交易评分, 合同执行评分 1-5, comments optional);
    once per contract per party (the unique key settles a double click). Commits; returns the
    evaluation."""
    session = db.session
    moment = moment or datetime.now()
    contract, party = bind(user, fields.get("number"), fields.get("code"), fields.get("listing_code"), ip, moment)
    transaction = _score(fields.get("transaction_score"), _("Transaction score"))
    execution = _score(fields.get("execution_score"), _("Contract execution score"))
    t_comment = _text(fields.get("transaction_comment"), _("Transaction comment"), MAX_COMMENT, required=False)
    e_comment = _text(fields.get("execution_comment"), _("Contract execution comment"), MAX_COMMENT, required=False)
    exists = session.execute(select(RentalEvaluation.id).where(
        RentalEvaluation.contract_id == contract.id, RentalEvaluation.party == party)).first()
    if exists:
        raise DomainError(already_evaluated(contract, party))
    row = RentalEvaluation(
        contract_id=contract.id, party=party, user_id=user.id,
        bound_by="contract_number" if (fields.get("number") or "").strip() else "listing_code",
        transaction_score=transaction, transaction_comment=t_comment or None,
        execution_score=execution, execution_comment=e_comment or None,
        org_id=contract.org_id, region_code=contract.region_code, created_on=moment)
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise DomainError(already_evaluated(contract, party)) from None
    return row


def my_evaluations(user, limit=100):
    return db.session.execute(select(RentalEvaluation).where(RentalEvaluation.user_id == user.id)
                              .order_by(RentalEvaluation.id.desc()).limit(limit)).scalars().all()


def enterprise_averages(user=None, limit=50, session=None):
    """Per enterprise in the viewer's scope: the number of evaluations and the average of each
    score (two decimals), most evaluated first."""
    from app.core.scope import apply_scope
    from app.system.models import Organization

    session = session or db.session
    stmt = (select(RentalEvaluation.org_id, func.count(RentalEvaluation.id),
                   func.avg(RentalEvaluation.transaction_score), func.avg(RentalEvaluation.execution_score))
            .where(RentalEvaluation.org_id.isnot(None)).group_by(RentalEvaluation.org_id))
    stmt = apply_scope(stmt, RentalEvaluation, user)
    rows = session.execute(stmt.order_by(func.count(RentalEvaluation.id).desc(), RentalEvaluation.org_id)
                           .limit(limit)).all()
    names = dict(session.execute(select(Organization.id, Organization.name)
                                 .where(Organization.id.in_([r[0] for r in rows]))).all()) if rows else {}
    return [{"org_id": r[0], "enterprise": names.get(r[0], ""), "count": r[1],
             "transaction": round(float(r[2]), 2), "execution": round(float(r[3]), 2)} for r in rows]


# --- 法律帮助 -------------------------------------------------------------------------------

PAGE_KEYS = ("rights_notice", "channels", "disclaimer")

DEFAULT_PAGES = {
    "rights_notice": (
        "维权须知",
        "在进行法律咨询或投诉前，请先了解以下事项，以便更好地维护自己的权益：\n\n"
        "1. 签订住房租赁合同前，请通过“合同验证”或出租方出示的租赁房源核验告知单，核实房源识别码、产权证号与出租人信息；\n"
        "2. 合同应写明租金、押金、租赁期限、租赁用途、维修责任、违约责任和争议解决方式，可参考本平台提供的合同范本；\n"
        "3. 租金、押金请通过可留存凭证的方式支付，并保留收据、转账记录、聊天记录等证据；\n"
        "4. 与住房租赁企业或房地产经纪机构发生纠纷的，可先与对方协商，协商不成的，可通过“用户维权”向房屋所在区县住房租赁主管部门投诉；\n"
        "5. 需要专业法律意见的，可在“咨询通道”中选择律师事务所或法律咨询公司；\n"
        "6. 涉及违法犯罪的，请及时向公安机关报案。"),
    "channels": (
        "咨询通道",
        "如需进行具体的法律咨询，可联系下列律师事务所或法律咨询公司（由主管部门公布，名单按顺序排列，不分先后）。"
        "也可拨打 12345 政务服务便民热线咨询住房租赁政策。"),
    "disclaimer": (
        "免责声明",
        "法律咨询功能是面向一般公众提供的免费便民服务。如需咨询具体法律问题，请自行委托法律顾问提供服务。"
        "本平台的法律问答内容不代表管理部门的立场、观点，不具有法律解释效力，亦不得被援引作为解决具体纠纷争议的依据。"
        "擅自引用内容导致的法律后果由引用主体自行承担，平台保留追究其法律责任的权利。"),
}


def legal_page(key, session=None):
    """The page as gov_admin last saved it, else its default text (not stored)."""
    if key not in PAGE_KEYS:
        return None
    session = session or db.session
    page = session.get(LegalPage, key)
    if page is None:
        title, body = DEFAULT_PAGES[key]
        page = LegalPage(key=key, title=title, body=body)
    return page


def save_legal_page(page, actor, title, body):
    """gov_admin's edit of a 法律帮助 page. Does not commit."""
    page.title = _text(title, _("Title"), 128)
    page.body = _text(body, _("Text"), 20_000)
    page.changed_by_fk = getattr(actor, "id", None)
    page.changed_on = datetime.now()
    return page


def seed_legal_pages(session=None):
    """维权须知, 咨询通道 and 免责声明 with the default texts where missing (idempotent; ``seed
    reference`` calls it). Returns the number added; the caller commits."""
    session = session or db.session
    added = 0
    for key in PAGE_KEYS:
        if session.get(LegalPage, key) is None:
            title, body = DEFAULT_PAGES[key]
            session.add(LegalPage(key=key, title=title, body=body))
            added += 1
    session.flush()
    return added


def clean_legal_service(fields):
    """A LegalService's fields (gov_admin's form): kind from the dictionary legal_service_kind."""
    from app.system import dicts

    kind = (fields.get("kind") or "").strip()
    if kind not in dict(dicts.items("legal_service_kind")):
        raise _field(_("Kind"), _("please choose one of the listed values"))
    return kind

