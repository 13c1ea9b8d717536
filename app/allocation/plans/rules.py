"""Eligibility rules: conditions on a filing's fields, configured per plan (SPEC §6).

A rule names a field of :data:`FIELDS`, an operator of :data:`OPS` and a value; it holds when
the applicant's facts satisfy it, and otherwise the applicant reads the rule's ``reason``
(e.g. 家庭人均年收入须不高于10万元). Priority groups use the same conditions. Facts are computed
once per filing (:func:`facts`), so screening 100,000 registrations is a loop over dicts.
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.allocation.filings.models import HousingStatus, HukouType, MaritalStatus
from app.core.errors import DomainError


@dataclass(frozen=True)
class Field:
    key: str
    label: object
    kind: str            # number | choice | district
    choices: tuple = ()


FIELDS = {f.key: f for f in [
    Field("hukou_type", _l("Household registration"), "choice", HukouType.ALL),
    Field("hukou_district", _l("District of household registration or residence permit"), "district"),
    Field("per_capita_income", _l("Household annual income per person (yuan)"), "number"),
    Field("annual_income", _l("Household annual income (yuan)"), "number"),
    Field("housing_status", _l("Housing situation"), "choice", HousingStatus.ALL),
    Field("owned_area", _l("Area of homes owned in the city (㎡)"), "number"),
    Field("applicant_age", _l("Applicant's age (full years)"), "number"),
    Field("family_size", _l("Family size"), "number"),
    Field("social_security_months", _l("Months of social insurance paid in the city"), "number"),
    Field("marital_status", _l("Marital status"), "choice", MaritalStatus.ALL),
]}

OPS = {
    "eq": _l("equals"), "ne": _l("does not equal"), "in": _l("is one of"), "not_in": _l("is none of"),
    "ge": _l("at least"), "le": _l("at most"), "gt": _l("more than"), "lt": _l("less than"),
    "between": _l("between (inclusive)"),
}
NUMBER_OPS = ("eq", "ne", "ge", "le", "gt", "lt", "between")
CHOICE_OPS = ("eq", "ne", "in", "not_in")


def _number(value, what):
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_("%(field)s: %(message)s", field=what, message=_("must be a number")))
    if not number.is_finite():
        raise DomainError(_("%(field)s: %(message)s", field=what, message=_("must be a number")))
    return number


def clean_rule(field, op, value, reason):
    """Check one rule as staff typed it; return (field, op, value as stored, reason) or raise."""
    what = _("Condition value")
    spec = FIELDS.get((field or "").strip())
    if spec is None:
        raise DomainError(_("%(field)s: %(message)s", field=_("Filing field"), message=_("please choose one of the listed fields")))
    op = (op or "").strip()
    allowed = NUMBER_OPS if spec.kind == "number" else CHOICE_OPS
    if op not in allowed:
        raise DomainError(_("%(field)s: %(message)s", field=_("Condition"),
                            message=_("this condition does not apply to the field chosen")))
    if isinstance(value, str):
        parts = [p.strip() for p in value.replace("，", ",").split(",") if p.strip()]
    elif isinstance(value, (list, tuple)):
        parts = [str(p).strip() for p in value if str(p).strip()]
    elif value is None:
        parts = []
    else:
        parts = [str(value)]
    if not parts:
        raise DomainError(_("%(field)s: %(message)s", field=what, message=_("is required")))
    if spec.kind == "number":
        if op == "between":
            if len(parts) != 2:
                raise DomainError(_("%(field)s: %(message)s", field=what,
                                    message=_("give the lower and the upper bound separated by a comma")))
            low, high = (_number(p, what) for p in parts)
            if low > high:
                raise DomainError(_("%(field)s: %(message)s", field=what,
                                    message=_("the lower bound is above the upper bound")))
            stored = [str(low), str(high)]
        else:
            if len(parts) != 1:
                raise DomainError(_("%(field)s: %(message)s", field=what, message=_("give one number")))
            stored = str(_number(parts[0], what))
    else:
        if spec.kind == "choice":
            bad = [p for p in parts if p not in spec.choices]
            if bad:
                raise DomainError(_("%(field)s: %(message)s", field=what,
                                    message=_("not one of the field's options: %(values)s", values="、".join(bad))))
        elif spec.kind == "district":
            bad = [p for p in parts if not (p.isdigit() and len(p) == 6)]
            if bad:
                raise DomainError(_("%(field)s: %(message)s", field=what,
                                    message=_("district codes have 6 digits: %(values)s", values="、".join(bad))))
        if op in ("eq", "ne") and len(parts) != 1:
            raise DomainError(_("%(field)s: %(message)s", field=what, message=_("give one value")))
        stored = parts if op in ("in", "not_in") else parts[0]
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("%(field)s: %(message)s", field=_("Reason shown when not met"), message=_("is required")))
    if len(reason) > 255:
        raise DomainError(_("%(field)s: %(message)s", field=_("Reason shown when not met"),
                            message=_("at most %(n)s characters", n=255)))
    return spec.key, op, stored, reason


def age_on(birth, day):
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def facts(filing, day=None):
    """The values rules look at, from a filing (model or snapshot dict)."""
    get = filing.get if isinstance(filing, dict) else (lambda k, d=None: getattr(filing, k, d))
    members = get("members") or []
    size = 1 + len(members)
    income = Decimal(str(get("annual_income") or 0))
    birth = get("birth_date")
    if isinstance(birth, str) and birth:
        birth = date.fromisoformat(birth)
    owned = get("owned_area")
    return {
        "hukou_type": get("hukou_type"),
        "hukou_district": get("hukou_district"),
        "per_capita_income": (income / size).quantize(Decimal("0.01")),
        "annual_income": income,
        "housing_status": get("housing_status"),
        "owned_area": Decimal(str(owned)) if owned not in (None, "") else Decimal(0),
        "applicant_age": age_on(birth, day or date.today()),
        "family_size": size,
        "social_security_months": int(get("social_security_months") or 0),
        "marital_status": get("marital_status"),
    }


def holds(rule_field, op, value, fact_values):
    """True if the condition holds for the facts (a missing fact never satisfies a condition)."""
    actual = fact_values.get(rule_field)
    if actual is None:
        return False
    spec = FIELDS[rule_field]
    if spec.kind == "number":
        actual = Decimal(str(actual))
        if op == "between":
            low, high = (Decimal(v) for v in value)
            return low <= actual <= high
        target = Decimal(str(value))
        return {"eq": actual == target, "ne": actual != target, "ge": actual >= target, "le": actual <= target,
                "gt": actual > target, "lt": actual < target}[op]
    actual = str(actual)
    if op == "eq":
        return actual == value
    if op == "ne":
        return actual != value
    if op == "in":
        return actual in value
    return actual not in value


def screen(rules, fact_values):
    """The reasons of the rules that do not hold (empty: eligible), in the rules' order."""
    return [r.reason for r in rules if not holds(r.field, r.op, r.value, fact_values)]


def describe(rule):
    """A rule as one line for staff (field, condition, value)."""
    from app.allocation.labels import HOUSING_LABELS, HUKOU_LABELS, MARITAL_LABELS

    spec = FIELDS.get(rule.field)
    if spec is None:
        return rule.reason
    names = {**HUKOU_LABELS, **HOUSING_LABELS, **MARITAL_LABELS}
    value = rule.value
    if isinstance(value, list):
        shown = "、".join(str(names.get(v, v)) for v in value)
        if rule.op == "between":
            shown = f"{value[0]} – {value[1]}"
    else:
        shown = str(names.get(value, value))
    return f"{spec.label} {OPS.get(rule.op, rule.op)} {shown}"
