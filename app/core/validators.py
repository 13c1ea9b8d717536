"""Validation of Chinese identifiers shared by forms, imports and the REST API.

The ``check_*`` functions normalise their input, return the canonical value
and raise :class:`ValidationError` (with a lazy, translatable message and a
short machine code) when the value must be refused.  Thin adapters at the end
of the module plug the same checks into WTForms and marshmallow.

Standards: GB 11643-1999 (resident ID number), GB/T 2260 (region codes),
GB 32100-2015 (unified social credit code).
"""

from __future__ import annotations

import math
import operator
import re
import string
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from flask_babel import lazy_gettext
from marshmallow import ValidationError as MarshmallowValidationError
from wtforms.validators import ValidationError as WTFormsValidationError

# ---------------------------------------------------------------------------
# Messages: every user-visible text, keyed by its machine code.
# English msgids, spelled ``lazy_gettext(...)`` so that ``flask fab
# babel-extract`` (keywords lazy_gettext, gettext, _, __) finds them.
# Chinese translations: app/core/validators_zh.txt.
# ---------------------------------------------------------------------------

_EXCEL_NUMBER_MESSAGE = lazy_gettext(
    "The value was stored as a number in Excel and lost digits; "
    "format the cell as text and enter it again"
)

MESSAGES = {
    # Resident ID number: refusals
    "id.empty": lazy_gettext("Enter the ID number"),
    "id.precision": lazy_gettext(
        "The ID number was stored as a number in Excel and lost digits; "
        "format the cell as text and enter it again"
    ),
    "id.old15": lazy_gettext(
        "15-digit ID numbers are no longer accepted; enter the 18-digit number"
    ),
    "id.length": lazy_gettext("The ID number must be 18 characters long"),
    "id.format": lazy_gettext(
        "The ID number may contain only digits, with X allowed as the last character"
    ),
    "id.province": lazy_gettext(
        "The first two digits of the ID number are not a valid province code"
    ),
    "id.birth_date": lazy_gettext("The birth date in the ID number is not a valid date"),
    "id.birth_future": lazy_gettext("The birth date in the ID number is in the future"),
    "id.birth_too_early": lazy_gettext("The birth date in the ID number is too early"),
    "id.checksum": lazy_gettext("The check digit of the ID number is wrong"),
    # Resident ID number: warnings (the number is still accepted)
    "id.warn.county": lazy_gettext(
        "The county code is not in the current code list (may be an old or new code)"
    ),
    "id.warn.early_birth": lazy_gettext(
        "The birth date is before 1900; please check the ID number"
    ),
    # Unified social credit code
    "uscc.empty": lazy_gettext("Enter the unified social credit code"),
    "uscc.precision": _EXCEL_NUMBER_MESSAGE,
    "uscc.length": lazy_gettext("The unified social credit code must be 18 characters long"),
    "uscc.chars": lazy_gettext(
        "The unified social credit code contains invalid characters "
        "(I, O, Z, S and V are not used)"
    ),
    "uscc.authority": lazy_gettext(
        "The first character of the unified social credit code is not "
        "a valid registration authority code"
    ),
    "uscc.category": lazy_gettext(
        "The second character of the unified social credit code is not "
        "a valid organization category for this registration authority"
    ),
    "uscc.region": lazy_gettext(
        "Characters 3 to 8 of the unified social credit code must be "
        "a 6-digit administrative region code"
    ),
    "uscc.checksum": lazy_gettext(
        "The check character of the unified social credit code is wrong"
    ),
    # Mainland mobile number
    "mobile.empty": lazy_gettext("Enter the mobile number"),
    "mobile.precision": _EXCEL_NUMBER_MESSAGE,
    "mobile.country": lazy_gettext(
        "Only mainland China mobile numbers (+86) are accepted"
    ),
    "mobile.format": lazy_gettext(
        "Enter an 11-digit mainland China mobile number starting with 13 to 19"
    ),
    # Password strength
    "password.length": lazy_gettext("The password must be 8 to 20 characters long"),
    "password.whitespace": lazy_gettext("The password must not contain spaces"),
    "password.chars": lazy_gettext(
        "The password may contain only letters, digits and ASCII symbols"
    ),
    "password.classes": lazy_gettext(
        "The password must contain at least three of: upper-case letters, "
        "lower-case letters, digits and symbols"
    ),
}


class ValidationError(ValueError):
    """A refused value: ``.message`` is a lazy string, ``.code`` a machine code."""

    def __init__(self, message, code: str):
        super().__init__(message, code)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)


def _fail(code: str) -> ValidationError:
    return ValidationError(MESSAGES[code], code)


# ---------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------

_SCIENTIFIC_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)[eE][+-]?\d+")

#: Excel (and IEEE doubles in general) keep only 15 significant digits.
_EXCEL_DIGITS = 15


def normalize(value: str | int | float | None) -> str:
    """Return ``value`` as a compact half-width string.

    NFKC folds full-width characters; all whitespace and invisible format
    characters (zero-width space, BOM) are removed; dashes are kept.  ``None``
    and NaN (an empty pandas cell) give ``''``; integral floats lose their
    ``.0``.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TypeError("normalize() does not accept bool")
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        raise TypeError(f"normalize() expects str, int, float or None, not {type(value).__name__}")
    # ASCII is its own NFKC form and holds no format character: only whitespace goes
    # (str.split() splits on exactly what str.isspace() calls whitespace).  The common case
    # of an import, so it avoids a Python loop over every character.
    text = value if value.isascii() else unicodedata.normalize("NFKC", value)
    if text.isascii():
        return "".join(text.split()) if not text.isalnum() else text
    return "".join(
        ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf"
    )


def looks_like_precision_loss(value) -> bool:
    """True if ``value`` looks like an identifier that went through a float.

    That is: a number of 16 or more digits (beyond Excel's 15 significant
    digits, e.g. an ID number typed into a General cell), a float whose repr
    needs more than 15 significant digits, or a string in scientific notation
    such as ``'1.10101E+17'`` (a CSV exported from Excel).
    """
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) >= 10**_EXCEL_DIGITS
    if isinstance(value, float):
        if not math.isfinite(value):
            return False
        if value.is_integer() and abs(value) < 10**_EXCEL_DIGITS:
            return False  # a whole number of at most 15 digits is exact in a double
        digits = Decimal(repr(value)).normalize().as_tuple().digits
        return abs(value) >= 10**_EXCEL_DIGITS or len(digits) > _EXCEL_DIGITS
    if isinstance(value, str):
        if value.isascii() and "e" not in value and "E" not in value:
            return False  # no exponent: not scientific notation (the common case, cheaply)
        return _SCIENTIFIC_RE.fullmatch(normalize(value)) is not None
    return False


# ---------------------------------------------------------------------------
# Resident ID number (GB 11643-1999)
# ---------------------------------------------------------------------------

#: First two digits allowed (GB/T 2260 provinces).  71 Taiwan; 81/82 Hong Kong
#: and Macao residence permits; 83 is used by residence permits for Taiwan
#: residents.
PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46"
    " 50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)

#: Region codes of residence permits for Hong Kong, Macao and Taiwan
#: residents; valid whatever the birth year, and unknown to python-stdnum.
RESIDENCE_PERMIT_REGIONS = frozenset({"810000", "820000", "830000"})

#: Births before this date are refused.  (1800, not 1900: the widely published
#: valid example 440524188001010014 is born 1880.)
MIN_BIRTH_DATE = date(1800, 1, 1)
#: Births before this date are accepted with a warning.
EARLY_BIRTH_WARNING_DATE = date(1900, 1, 1)

_ID_RE = re.compile(r"[0-9]{17}[0-9X]")
_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7, 9, 10, 5, 8, ...
_ID_CHECK_CHARS = "10X98765432"
_ID_WEIGHTS_48 = 48 * sum(_ID_WEIGHTS)


@dataclass(frozen=True)
class IdCheck:
    """Result of :func:`check_resident_id`."""

    number: str
    birth_date: date
    gender: str  # 'M' or 'F'
    region_code: str
    warnings: tuple = ()


def id_check_char(first17: str) -> str:
    """Check character (ISO 7064 MOD 11-2) for the first 17 digits."""
    if not re.fullmatch(r"[0-9]{17}", first17):
        raise ValueError("id_check_char() expects exactly 17 ASCII digits")
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK_CHARS[total % 11]


def _county_known(number: str) -> bool:
    """Ask python-stdnum whether the county code existed in the birth year.

    Only a hint: stdnum's code list is incomplete and rejects counties created
    after the birth year (e.g. Chongqing 500xxx for people born before 1997).
    """
    if number[:6] in RESIDENCE_PERMIT_REGIONS:
        return True
    return _county_known_in(number[:6], number[6:10])


@lru_cache(maxsize=16384)
def _county_known_in(region: str, year: str) -> bool:
    """Whether python-stdnum knows the county ``region`` in the birth ``year``: its answer as
    ``get_birth_place`` gives it, from the region's year spans (looked up once per region:
    the look-up is the slow part, about 75 microseconds, and an import of 200,000 IDs has a
    few hundred regions but thousands of region-and-year pairs)."""
    spans = _county_spans(region)
    if spans is None or spans is True:
        return spans is True
    birth_year = int(year)
    for start, end in spans:
        if start is not None and birth_year < start:
            continue
        if end is not None and birth_year > end:
            continue
        return True
    return False


@lru_cache(maxsize=4096)
def _county_spans(region: str):
    """stdnum's record of a county code: None when it does not know it, True when it holds for
    every year, else the (first, last) years (None: open) in which it was assigned -- read as
    ``stdnum.cn.ric.get_birth_place`` reads them."""
    try:
        from stdnum import numdb

        results = numdb.get("cn/loc").info(region)
        info = {k: v for _part, props in results for k, v in props.items()}
        if not info:
            return None
        spans = []
        for county in info["county"].split(","):
            if not county.startswith("["):
                return True
            startend, _name = county[1:].split("]")
            start, end = startend.split("-")
            spans.append((int(start) if start else None, int(end) if end else None))
        return tuple(spans)
    except KeyError:
        # stdnum 2.2 has no county for an unknown county code in a known province (110199).
        return None
    except Exception:  # any other stdnum failure: no opinion
        return True


def check_resident_id(value, today: date | None = None) -> IdCheck:
    """Validate an 18-digit resident ID number; raise :class:`ValidationError`.

    Accepts full-width characters, spaces, dashes and a lowercase x.  An
    unknown or abolished county code, or a birth before 1900, only adds a
    warning to the result.
    """
    number, birth, warnings = _resident_id(value, today or date.today())
    return IdCheck(
        number=number,
        birth_date=birth,
        gender="M" if int(number[16]) % 2 else "F",
        region_code=number[:6],
        warnings=warnings,
    )


def clean_resident_id(value, today: date | None = None) -> tuple[str, tuple]:
    """:func:`check_resident_id` for bulk work (an import of 200,000 rows): the number and
    the warnings only, without building the :class:`IdCheck`.  Same rules, same errors."""
    number, _birth, warnings = _resident_id(value, today or date.today())
    return number, warnings


def _resident_id(value, today: date) -> tuple[str, date, tuple]:
    if type(value) is str and len(value) == 18 and value.isascii() and value[:17].isdigit() \
            and value[17] in "0123456789Xx":
        # Already 17 digits and a check character, as nearly every cell of an import is: its
        # normal form is itself (upper case), and neither the precision nor the format check
        # can fail.
        number = value.upper()
    else:
        if looks_like_precision_loss(value):
            raise _fail("id.precision")
        number = normalize(value).replace("-", "").upper()
        if not number:
            raise _fail("id.empty")
        if len(number) == 15 and number.isascii() and number.isdigit():
            raise _fail("id.old15")
        if len(number) != 18:
            raise _fail("id.length")
        if not _ID_RE.fullmatch(number):
            raise _fail("id.format")
    if number[:2] not in PROVINCE_CODES:
        raise _fail("id.province")
    birth = _birth_date(number[6:14])
    if birth is None:
        raise _fail("id.birth_date")
    if birth > today:
        raise _fail("id.birth_future")
    if birth < MIN_BIRTH_DATE:
        raise _fail("id.birth_too_early")
    # (number matched _ID_RE: its first 17 characters are ASCII digits, whose byte values
    # are the digits plus 48; the weighted sum in C, not a Python loop per digit)
    total = sum(map(operator.mul, number[:17].encode("ascii"), _ID_WEIGHTS)) - _ID_WEIGHTS_48
    if number[17] != _ID_CHECK_CHARS[total % 11]:
        raise _fail("id.checksum")

    # (the warnings as shared tuples: most rows of some sheets carry one, and a new tuple per
    # row is measurable at 200,000 rows)
    if birth < EARLY_BIRTH_WARNING_DATE:
        return number, birth, (_WARN_EARLY if _county_known(number) else _WARN_EARLY_COUNTY)
    return number, birth, (() if _county_known(number) else _WARN_COUNTY)


_WARN_EARLY = (MESSAGES["id.warn.early_birth"],)
_WARN_COUNTY = (MESSAGES["id.warn.county"],)
_WARN_EARLY_COUNTY = _WARN_EARLY + _WARN_COUNTY

_BIRTH_DATES: dict[str, date | None] = {}
#: Birth dates remembered (a century of days is about 37,000; invalid texts are not kept
#: beyond this many entries).
_BIRTH_DATES_MAX = 60_000


def _birth_date(yyyymmdd: str) -> date | None:
    """The date of eight digits (None when there is no such day), remembered: 200,000 people
    are born on far fewer days."""
    found = _BIRTH_DATES.get(yyyymmdd, False)
    if found is not False:
        return found
    try:
        found = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        found = None
    if len(_BIRTH_DATES) < _BIRTH_DATES_MAX:
        _BIRTH_DATES[yyyymmdd] = found
    return found


def is_valid_resident_id(value) -> bool:
    """True if :func:`check_resident_id` accepts ``value``."""
    try:
        check_resident_id(value)
    except (ValidationError, TypeError):
        return False
    return True


# ---------------------------------------------------------------------------
# Unified social credit code (GB 32100-2015)
# ---------------------------------------------------------------------------

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, Z, S, V
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

#: Registration authority (1st char): 1 机构编制, 2 外交, 3 司法行政, 4 文化,
#: 5 民政, 6 旅游, 7 宗教, 8 工会, 9 工商, A 中央军委改革和编制办公室, N 农业, Y 其他.
CREDIT_AUTHORITIES = frozenset("123456789ANY")

#: Organization category (2nd char) per authority, where we are sure of it.
#: The published table for the other authorities is 2: 1,9; 3: 1-5,9; 4: 1,9;
#: 6: 1,2,9; 7: 1,2,9; 8: 1,9; A: 1,9; N: 1,2,3,9 -- not enforced (taken from
#: secondary sources, not the standard text): any digit 1-9 is accepted.
_CREDIT_CATEGORIES = {"1": "1239", "5": "1239", "9": "123", "Y": "1"}
_ANY_CATEGORY = "123456789"


def credit_code_check_char(first17: str) -> str:
    """Check character for the first 17 characters of a credit code."""
    if len(first17) != 17 or any(c not in CREDIT_CODE_ALPHABET for c in first17):
        raise ValueError("credit_code_check_char() expects 17 characters of the code alphabet")
    total = sum(CREDIT_CODE_ALPHABET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def check_credit_code(value) -> str:
    """Validate a unified social credit code; return it upper-cased."""
    if looks_like_precision_loss(value):
        raise _fail("uscc.precision")
    code = normalize(value).replace("-", "").upper()
    if not code:
        raise _fail("uscc.empty")
    if len(code) != 18:
        raise _fail("uscc.length")
    if any(c not in CREDIT_CODE_ALPHABET for c in code):
        raise _fail("uscc.chars")
    if code[0] not in CREDIT_AUTHORITIES:
        raise _fail("uscc.authority")
    if code[1] not in _CREDIT_CATEGORIES.get(code[0], _ANY_CATEGORY):
        raise _fail("uscc.category")
    if not code[2:8].isdigit():
        raise _fail("uscc.region")
    if code[17] != credit_code_check_char(code[:17]):
        raise _fail("uscc.checksum")
    return code


def is_valid_credit_code(value) -> bool:
    """True if :func:`check_credit_code` accepts ``value``."""
    try:
        check_credit_code(value)
    except (ValidationError, TypeError):
        return False
    return True


# ---------------------------------------------------------------------------
# Mainland mobile number
# ---------------------------------------------------------------------------

_MOBILE_SEPARATORS = str.maketrans("", "", "-()")
_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")


def check_mobile(value) -> str:
    """Validate a mainland mobile number; return its 11 digits.

    Accepts the prefixes +86, 0086 and 86, full-width digits, spaces, dashes
    and parentheses.
    """
    if type(value) is str and len(value) == 11 and value.isascii() and _MOBILE_RE.fullmatch(value):
        return value  # already 11 digits of a mainland mobile: nothing to normalise
    if looks_like_precision_loss(value):
        raise _fail("mobile.precision")
    number = normalize(value).translate(_MOBILE_SEPARATORS)
    if not number:
        raise _fail("mobile.empty")
    if number.startswith("+86"):
        number = number[3:]
    elif number.startswith("0086"):
        number = number[4:]
    elif number.startswith(("+", "00")):
        raise _fail("mobile.country")
    elif number.startswith("86") and len(number) == 13:
        number = number[2:]
    if not _MOBILE_RE.fullmatch(number):
        raise _fail("mobile.format")
    return number


def is_valid_mobile(value) -> bool:
    """True if :func:`check_mobile` accepts ``value``."""
    try:
        check_mobile(value)
    except (ValidationError, TypeError):
        return False
    return True


# ---------------------------------------------------------------------------
# Password strength
# ---------------------------------------------------------------------------

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 20
_PASSWORD_CLASSES = (
    string.ascii_uppercase,
    string.ascii_lowercase,
    string.digits,
    string.punctuation,  # printable ASCII that is neither alphanumeric nor space
)


def check_password_strength(pw: str | None) -> None:
    """Refuse a password that is not 8-20 printable ASCII characters, without
    whitespace, using at least three of: upper, lower, digit, symbol."""
    pw = pw or ""
    if any(ch.isspace() for ch in pw):
        raise _fail("password.whitespace")
    if any(ch not in string.printable for ch in pw):
        raise _fail("password.chars")
    if not PASSWORD_MIN_LENGTH <= len(pw) <= PASSWORD_MAX_LENGTH:
        raise _fail("password.length")
    if sum(any(ch in chars for ch in pw) for chars in _PASSWORD_CLASSES) < 3:
        raise _fail("password.classes")


# ---------------------------------------------------------------------------
# Adapters
# ---------------------------------------------------------------------------


class _FormValidator:
    """WTForms validator running a ``check_*`` function.

    Empty input passes (combine with DataRequired/Optional); a valid value is
    written back to ``field.data`` in its canonical form.
    """

    def __init__(self, message=None):
        self.message = message

    @staticmethod
    def check(value) -> str:
        raise NotImplementedError

    def __call__(self, form, field):
        if field.data is None or normalize(field.data) == "":
            return
        try:
            field.data = self.check(field.data)
        except ValidationError as exc:
            raise WTFormsValidationError(self.message or exc.message) from exc


class ResidentIdValidator(_FormValidator):
    """WTForms validator for resident ID numbers."""

    @staticmethod
    def check(value) -> str:
        return check_resident_id(value).number


class CreditCodeValidator(_FormValidator):
    """WTForms validator for unified social credit codes."""

    check = staticmethod(check_credit_code)


class MobileValidator(_FormValidator):
    """WTForms validator for mainland mobile numbers."""

    check = staticmethod(check_mobile)


def _run_for_marshmallow(check, value) -> None:
    try:
        check(value)
    except ValidationError as exc:
        raise MarshmallowValidationError(str(exc.message)) from exc


def ma_resident_id(value) -> None:
    """marshmallow validator for resident ID numbers."""
    _run_for_marshmallow(check_resident_id, value)


def ma_credit_code(value) -> None:
    """marshmallow validator for unified social credit codes."""
    _run_for_marshmallow(check_credit_code, value)


def ma_mobile(value) -> None:
    """marshmallow validator for mainland mobile numbers."""
    _run_for_marshmallow(check_mobile, value)
