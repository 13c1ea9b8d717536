"""Tests for app.core.validators.

Every valid vector is verified twice, independently of the code under test:
the ID numbers with the standard's own verification rule (ISO 7064 MOD 11-2:
the weighted sum of all 18 characters, X = 10, is 1 mod 11, weights copied
from GB 11643 table 1) and with the closed form (1 - 2 * int(first17, 13)) % 11
(13 = 2 mod 11); the credit codes with weights recomputed as 3**i mod 31 and
the rule "weighted sum of all 18 characters = 0 mod 31".
"""

import random
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask_babel.speaklater import LazyString
from marshmallow import Schema, fields
from marshmallow import ValidationError as MarshmallowValidationError
from werkzeug.datastructures import MultiDict
from wtforms import Form, StringField

from app.core import validators as v
from app.core.validators import (
    CreditCodeValidator,
    IdCheck,
    MobileValidator,
    ResidentIdValidator,
    ValidationError,
    check_credit_code,
    check_mobile,
    check_password_strength,
    check_resident_id,
    credit_code_check_char,
    id_check_char,
    is_valid_credit_code,
    is_valid_mobile,
    is_valid_resident_id,
    looks_like_precision_loss,
    ma_credit_code,
    ma_mobile,
    ma_resident_id,
    normalize,
)

# ---------------------------------------------------------------------------
# Independent reference computations (do not use the module under test)
# ---------------------------------------------------------------------------

# GB 11643-1999 table 1: weights W_i for positions 1..18 (the last is the check).
GB11643_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2, 1]


def ref_id_ok(number: str) -> bool:
    """ISO 7064 MOD 11-2 verification as written in GB 11643."""
    values = [10 if c == "X" else int(c) for c in number]
    return sum(a * w for a, w in zip(values, GB11643_WEIGHTS)) % 11 == 1


def ref_id_check(first17: str) -> str:
    """Closed form: int(s, 13) = sum d_i * 13**k and 13 = 2 (mod 11)."""
    check = (1 - 2 * int(first17, 13)) % 11
    return "X" if check == 10 else str(check)


USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)] + [1]


def ref_uscc_ok(code: str) -> bool:
    return sum(USCC_ALPHABET.index(c) * w for c, w in zip(code, USCC_WEIGHTS)) % 31 == 0


def ref_uscc_check(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return USCC_ALPHABET[-total % 31]


def with_id_check(first17: str) -> str:
    return first17 + ref_id_check(first17)


def with_uscc_check(first17: str) -> str:
    return first17 + ref_uscc_check(first17)


def assert_refused(func, value, code, **kwargs):
    with pytest.raises(ValidationError) as info:
        func(value, **kwargs)
    assert info.value.code == code
    return info.value


# ---------------------------------------------------------------------------
# Resident ID vectors
# ---------------------------------------------------------------------------

VALID_IDS = [
    # GB 11643-1999's own example (Beijing Chaoyang, 1949-12-31, female).
    ("11010519491231002X", date(1949, 12, 31), "F"),
    # Widely published example (Guangdong, born 1880-01-01, male).
    ("440524188001010014", date(1880, 1, 1), "M"),
    # Widely used test numbers (Beijing Dongcheng, 1990-03-07).
    ("11010119900307803X", date(1990, 3, 7), "M"),
    ("110101199003074477", date(1990, 3, 7), "M"),
]

# Chongqing Yuzhong district (500103): the municipality and this code date
# from 1997, so a person born 1980 got it when re-registered later.
# python-stdnum 2.2: stdnum.cn.ric.validate("500103198001011238") raises
# InvalidComponent ("One of the parts of the number are invalid or unknown")
# because its code list marks 500103 as "[1997-]渝中区".
CHONGQING_1980 = "500103198001011238"


def test_reference_helpers_agree_on_vectors():
    for number, _, _ in VALID_IDS:
        assert ref_id_ok(number), number
        assert ref_id_check(number[:17]) == number[17], number
    assert ref_id_ok(CHONGQING_1980)
    assert ref_id_check(CHONGQING_1980[:17]) == "8"


@pytest.mark.parametrize("number, birth, gender", VALID_IDS)
def test_valid_resident_ids(number, birth, gender):
    result = check_resident_id(number)
    assert isinstance(result, IdCheck)
    assert result.number == number
    assert result.birth_date == birth
    assert result.gender == gender
    assert result.region_code == number[:6]
    assert id_check_char(number[:17]) == number[17]
    assert is_valid_resident_id(number)


def test_id_check_char_matches_independent_formula():
    rng = random.Random(11643)
    for _ in range(500):
        first17 = "".join(rng.choice("0123456789") for _ in range(17))
        check = id_check_char(first17)
        assert check == ref_id_check(first17)
        assert ref_id_ok(first17 + check)


def test_id_check_char_rejects_bad_input():
    with pytest.raises(ValueError):
        id_check_char("1101051949123100")
    with pytest.raises(ValueError):
        id_check_char("1101051949123100X")


def test_standard_example_has_no_warning():
    assert check_resident_id("11010519491231002X").warnings == ()


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002x",  # lowercase x
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width
        "１１０１０５１９４９１２３１００２ｘ",
        " 110105 19491231 002X ",  # spaces
        "110105\u300019491231\u3000002X",  # ideographic spaces
        "110105-19491231-002X",  # dashes
        "\u200b11010519491231002X\ufeff",  # invisible characters from copy/paste
    ],
)
def test_resident_id_normalisation(raw):
    assert check_resident_id(raw).number == "11010519491231002X"


def test_county_code_newer_than_birth_year_is_accepted_with_warning():
    result = check_resident_id(CHONGQING_1980)
    assert result.number == CHONGQING_1980
    assert result.birth_date == date(1980, 1, 1)
    assert result.gender == "M"
    assert [str(w) for w in result.warnings] == [str(v.MESSAGES["id.warn.county"])]


def test_early_birth_and_old_county_are_warnings_only():
    result = check_resident_id("440524188001010014")
    warnings = {str(w) for w in result.warnings}
    assert str(v.MESSAGES["id.warn.early_birth"]) in warnings
    # 440524 (潮阳县) existed 1983-1993 only: stdnum knows it, not for 1880.
    assert str(v.MESSAGES["id.warn.county"]) in warnings
    assert all(isinstance(w, LazyString) for w in result.warnings)


def test_unknown_county_is_warning():
    # 110199: no such county; python-stdnum 2.2 crashes with KeyError('county').
    number = with_id_check("11019919900101001")
    assert check_resident_id(number).warnings == (v.MESSAGES["id.warn.county"],)


@pytest.mark.parametrize("region", ["810000", "820000", "830000"])
def test_residence_permits_accepted_without_warning(region):
    number = with_id_check(region + "19900101001")
    result = check_resident_id(number)
    assert result.region_code == region
    assert result.warnings == ()


def test_stdnum_crash_never_propagates(monkeypatch):
    from stdnum import numdb

    def boom(name):
        raise IndexError("stdnum bug")

    monkeypatch.setattr(numdb, "get", boom)
    v._county_known_in.cache_clear()  # answers are cached per (region, year) and per region
    v._county_spans.cache_clear()
    try:
        assert check_resident_id(CHONGQING_1980).warnings == ()
    finally:
        v._county_known_in.cache_clear()
        v._county_spans.cache_clear()


def _stdnum_says(region, year):
    """python-stdnum's own answer, as the county check asked it before it read the year spans
    itself (one look-up per region and year)."""
    from stdnum.cn import ric
    from stdnum.exceptions import ValidationError as StdnumError

    try:
        ric.get_birth_place(f"{region}{year}01010000")
    except (StdnumError, KeyError):
        return False
    return True


def test_the_county_check_answers_as_stdnum_does_for_every_region_and_year():
    """Every county code in stdnum's list (with their neighbours, often unknown), in years
    before, between and after the codes' spans: the same answer as stdnum's get_birth_place."""
    import os
    import re

    import stdnum

    regions, province = {"110199", "500199", "990101"}, None
    with open(os.path.join(os.path.dirname(stdnum.__file__), "cn", "loc.dat"), encoding="utf-8") as fh:
        for line in fh:
            m = re.match(r"(\s*)(\d+)(?:-(\d+))?\s", line)
            if not m:
                continue
            if not m.group(1):
                province = m.group(2)
            elif province and len(province) == 2 and len(m.group(2)) == 4:
                for code in filter(None, (m.group(2), m.group(3))):
                    regions.add(province + code)
                    regions.add(province + f"{(int(code) + 1) % 10000:04d}")
    assert len(regions) > 5000
    v._county_known_in.cache_clear()
    v._county_spans.cache_clear()
    for region in sorted(regions):
        for year in ("1966", "1985", "1997", "2011"):
            assert v._county_known_in(region, year) == _stdnum_says(region, year), (region, year)


@pytest.mark.parametrize(
    "value, code",
    [
        ("", "id.empty"),
        (None, "id.empty"),
        ("   ", "id.empty"),
        ("110105194912310021", "id.checksum"),  # standard example, last char changed
        ("11010519491231002Y", "id.format"),
        ("440524188001010015", "id.checksum"),
        ("11010519491231002", "id.length"),  # 17 digits
        ("11010519491231002X1", "id.length"),
        ("110105491231002", "id.old15"),  # first-generation 15-digit number
        ("1101051949123100AX", "id.format"),
        ("A1010519491231002X", "id.format"),
        ("11010519491231X02X", "id.format"),
        (with_id_check("99010519491231002"), "id.province"),
        (with_id_check("00010519491231002"), "id.province"),
        (with_id_check("72010519491231002"), "id.province"),
        (with_id_check("11010519900230001"), "id.birth_date"),  # 30 February
        (with_id_check("11010519901301001"), "id.birth_date"),  # month 13
        (with_id_check("11010519900100001"), "id.birth_date"),  # day 0
        (with_id_check("11010517991231001"), "id.birth_too_early"),
    ],
)
def test_invalid_resident_ids(value, code):
    error = assert_refused(check_resident_id, value, code)
    assert str(error) == str(v.MESSAGES[code])
    assert not is_valid_resident_id(value)


def test_check_digit_message():
    error = assert_refused(check_resident_id, "110105194912310021", "id.checksum")
    assert str(error) == "The check digit of the ID number is wrong"


def test_future_birth_date_refused():
    number = with_id_check("11010520300101001")
    assert_refused(check_resident_id, number, "id.birth_future", today=date(2025, 1, 1))
    assert check_resident_id(number, today=date(2030, 1, 1)).birth_date == date(2030, 1, 1)

    tomorrow = date.today() + timedelta(days=1)
    number = with_id_check("110105" + tomorrow.strftime("%Y%m%d") + "001")
    assert_refused(check_resident_id, number, "id.birth_future")


@pytest.mark.parametrize(
    "value",
    [
        1.1010119900307e17,  # what Excel keeps of 110101199003078034
        110101199003070000,  # the same after int()
        110105194912310021,  # any 18-digit number is beyond 15 digits
        "1.10101E+17",  # CSV exported from Excel
        "1.10101e+17",
        "１.１０１０１Ｅ＋１７",
    ],
)
def test_precision_loss_has_its_own_error(value):
    error = assert_refused(check_resident_id, value, "id.precision")
    assert "Excel" in str(error)
    assert "text" in str(error)


# ---------------------------------------------------------------------------
# normalize / looks_like_precision_loss
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, ""),
        ("", ""),
        ("  a b\tc\n ", "abc"),
        ("１２３－４５", "123-45"),
        ("ＡＢＣ", "ABC"),
        ("a\u200bb", "ab"),
        (13800138000, "13800138000"),
        (13800138000.0, "13800138000"),
        (1.5, "1.5"),
        (float("nan"), ""),
    ],
)
def test_normalize(value, expected):
    assert normalize(value) == expected


@pytest.mark.parametrize("value", [True, b"123", ["1"], object()])
def test_normalize_rejects_other_types(value):
    with pytest.raises(TypeError):
        normalize(value)


@pytest.mark.parametrize(
    "value, expected",
    [
        (1.1010119900307e17, True),
        (1.2345678901234567e15, True),
        (110101199003070000, True),
        (1234567890123456, True),
        (0.30000000000000004, True),  # 17 significant digits
        ("1.10101E+17", True),
        ("1E17", True),
        (" 4.40524E+17 ", True),
        (13800138000, False),
        (13800138000.0, False),
        (123456789012345, False),  # 15 digits: still exact in Excel
        ("110105194912310021", False),
        ("11010519491231002X", False),
        ("91350100M000100Y43", False),
        ("", False),
        (None, False),
        (True, False),
        (float("nan"), False),
        (float("inf"), False),
    ],
)
def test_looks_like_precision_loss(value, expected):
    assert looks_like_precision_loss(value) is expected


# ---------------------------------------------------------------------------
# Unified social credit code
# ---------------------------------------------------------------------------

VALID_CREDIT_CODES = [
    "91350100M000100Y43",  # example from GB 32100 materials
    "91110000600037341L",  # python-stdnum documentation example
    "9144030071526726XG",  # widely cited company code
    "91440300708461136T",  # widely cited company code
]


@pytest.mark.parametrize("code", VALID_CREDIT_CODES)
def test_valid_credit_codes(code):
    assert ref_uscc_ok(code)
    assert credit_code_check_char(code[:17]) == code[17]
    assert check_credit_code(code) == code
    assert is_valid_credit_code(code)


def test_credit_weights_are_powers_of_three():
    assert v._CREDIT_WEIGHTS == tuple(USCC_WEIGHTS[:17])


def test_credit_code_check_char_matches_independent_formula():
    for code in VALID_CREDIT_CODES:
        body = code[:17]
        for i, c in enumerate(USCC_ALPHABET):  # vary one organisation char
            first17 = body[:12] + c + body[13:]
            assert credit_code_check_char(first17) == ref_uscc_check(first17)


def test_credit_code_check_char_rejects_bad_input():
    with pytest.raises(ValueError):
        credit_code_check_char("91350100M000100Y")
    with pytest.raises(ValueError):
        credit_code_check_char("91350100M000100I4")


@pytest.mark.parametrize(
    "raw",
    [
        "91350100m000100y43",
        " 9135 0100 M000 100Y 43 ",
        "91350100-M000100Y4-3",
        "９１３５０１００Ｍ０００１００Ｙ４３",
    ],
)
def test_credit_code_normalisation(raw):
    assert check_credit_code(raw) == "91350100M000100Y43"


@pytest.mark.parametrize(
    "first17",
    [
        "11100000000013127",  # 机构编制 / 机关, national level
        "12100000000013127",  # 机构编制 / 事业单位
        "51110000000013127",  # 民政 / 社会团体
        "53110000000013127",  # 民政 / 基金会
        "92350100M000100Y4",  # 工商 / 个体工商户
        "93350100M000100Y4",  # 工商 / 农民专业合作社
        "Y1350100M000100Y4",  # 其他
        "35110000000013127",  # 司法行政 / 仲裁委员会
        "A1110000000013127",  # 中央军委改革和编制办公室
        "N2350100M000100Y4",  # 农业 / 村级集体经济组织
        "29110000000013127",  # 外交 / 其他
    ],
)
def test_credit_code_authorities_and_categories_accepted(first17):
    code = with_uscc_check(first17)
    assert check_credit_code(code) == code


@pytest.mark.parametrize(
    "value, code",
    [
        ("", "uscc.empty"),
        (None, "uscc.empty"),
        ("91350100M000100Y44", "uscc.checksum"),
        ("91350100M000100Y4", "uscc.length"),  # 17 characters
        ("91350100M000100Y433", "uscc.length"),
        ("91350100M000100I43", "uscc.chars"),
        ("91350100M000100O43", "uscc.chars"),
        ("91350100M000100S43", "uscc.chars"),
        ("Z1350100M000100Y43", "uscc.chars"),  # Z is not even in the alphabet
        ("91350100M000100Y4*", "uscc.chars"),
        (with_uscc_check("B1350100M000100Y4"), "uscc.authority"),
        (with_uscc_check("01350100M000100Y4"), "uscc.authority"),
        (with_uscc_check("94350100M000100Y4"), "uscc.category"),
        (with_uscc_check("99350100M000100Y4"), "uscc.category"),
        (with_uscc_check("14350100M000100Y4"), "uscc.category"),
        (with_uscc_check("Y2350100M000100Y4"), "uscc.category"),
        (with_uscc_check("30350100M000100Y4"), "uscc.category"),
        (with_uscc_check("9135010AM000100Y4"), "uscc.region"),
        (with_uscc_check("91M50100M000100Y4"), "uscc.region"),
        ("9.13501E+17", "uscc.precision"),
        (911100001011042580, "uscc.precision"),
    ],
)
def test_invalid_credit_codes(value, code):
    assert_refused(check_credit_code, value, code)
    assert not is_valid_credit_code(value)


# ---------------------------------------------------------------------------
# Mobile numbers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "+86 138-0013-8000",
        "+86 13800138000",
        "+86-138-0013-8000",
        "(+86) 138 0013 8000",
        "0086 13800138000",
        "008613800138000",
        "8613800138000",
        "86 138 0013 8000",
        "１３８００１３８０００",
        "＋８６ １３８－００１３－８０００",
        "138 0013 8000",
        "(138)0013-8000",
        13800138000,
        13800138000.0,
    ],
)
def test_mobile_normalisation(raw):
    assert check_mobile(raw) == "13800138000"
    assert is_valid_mobile(raw)


@pytest.mark.parametrize("number", ["13012345678", "15912345678", "17712341234", "19912345678"])
def test_mobile_second_digit_range(number):
    assert check_mobile(number) == number


@pytest.mark.parametrize(
    "value, code",
    [
        ("", "mobile.empty"),
        (None, "mobile.empty"),
        (" - ", "mobile.empty"),
        ("12800138000", "mobile.format"),  # second digit 2
        ("11800138000", "mobile.format"),
        ("23800138000", "mobile.format"),
        ("1380013800", "mobile.format"),  # 10 digits
        ("138001380000", "mobile.format"),  # 12 digits
        ("1380013800a", "mobile.format"),
        ("010-12345678", "mobile.format"),  # landline
        ("+86 12800138000", "mobile.format"),
        ("+852 9123 4567", "mobile.country"),
        ("00852 91234567", "mobile.country"),
        ("+1 415 555 0100", "mobile.country"),
        ("1.38001E+10", "mobile.precision"),
    ],
)
def test_invalid_mobiles(value, code):
    assert_refused(check_mobile, value, code)
    assert not is_valid_mobile(value)


# ---------------------------------------------------------------------------
# Password strength
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pw",
    [
        "Abcdef12",  # upper, lower, digit; exactly 8
        "abcdef1!",  # lower, digit, symbol
        "ABCDEF1~",  # upper, digit, symbol
        "Abcdefg!",  # upper, lower, symbol
        "Aa1!" * 5,  # all four; exactly 20
        'Pa"ss\\w0rd',
    ],
)
def test_strong_passwords(pw):
    assert check_password_strength(pw) is None


@pytest.mark.parametrize(
    "pw, code",
    [
        (None, "password.length"),
        ("", "password.length"),
        ("Ab1!xyz", "password.length"),  # 7
        ("Aa1!" * 5 + "x", "password.length"),  # 21
        ("abcdefgh", "password.classes"),
        ("abcdefg1", "password.classes"),
        ("ABCDEFG!", "password.classes"),
        ("12345678", "password.classes"),
        ("Abc def12", "password.whitespace"),
        ("Abcdef12\t", "password.whitespace"),
        ("Abcdef12\u3000", "password.whitespace"),
        ("Abcdef12密", "password.chars"),
        ("Ａbcdef12", "password.chars"),  # full-width A
        ("Abcdef12é", "password.chars"),
    ],
)
def test_weak_passwords(pw, code):
    assert_refused(check_password_strength, pw, code)


# ---------------------------------------------------------------------------
# Errors and messages
# ---------------------------------------------------------------------------


def test_validation_error_shape():
    error = assert_refused(check_resident_id, "110105194912310021", "id.checksum")
    assert isinstance(error, ValueError)
    assert isinstance(error.message, LazyString)
    assert str(error) == str(error.message)


def test_messages_are_lazy_and_listed_for_translators():
    catalog = Path(v.__file__).with_name("validators_zh.txt").read_text(encoding="utf-8")
    rows = dict(line.split("\t") for line in catalog.splitlines())
    for code, message in v.MESSAGES.items():
        assert isinstance(message, LazyString), code
        assert str(message).isascii(), code  # English msgid
        assert rows.get(str(message)), code
    assert set(rows) == {str(m) for m in v.MESSAGES.values()}


# ---------------------------------------------------------------------------
# WTForms adapters
# ---------------------------------------------------------------------------


class PersonForm(Form):
    id_number = StringField(validators=[ResidentIdValidator()])
    credit_code = StringField(validators=[CreditCodeValidator()])
    mobile = StringField(validators=[MobileValidator(message="custom")])


def make_form(**data):
    return PersonForm(formdata=MultiDict(data))


def test_wtforms_valid_values_are_normalised():
    form = make_form(
        id_number="１１０１０５１９４９１２３１００２ｘ",
        credit_code="91350100m000100y43",
        mobile="+86 138-0013-8000",
    )
    assert form.validate(), form.errors
    assert form.data == {
        "id_number": "11010519491231002X",
        "credit_code": "91350100M000100Y43",
        "mobile": "13800138000",
    }


def test_wtforms_empty_values_pass():
    assert make_form(id_number="", credit_code="  ").validate()


def test_wtforms_invalid_values():
    form = make_form(
        id_number="110105194912310021",
        credit_code="91350100M000100Y44",
        mobile="12800138000",
    )
    assert not form.validate()
    assert [str(m) for m in form.errors["id_number"]] == [
        "The check digit of the ID number is wrong"
    ]
    assert form.errors["credit_code"] == [v.MESSAGES["uscc.checksum"]]
    assert form.errors["mobile"] == ["custom"]
    assert form.id_number.data == "110105194912310021"  # left as typed


# ---------------------------------------------------------------------------
# marshmallow adapters
# ---------------------------------------------------------------------------


class PersonSchema(Schema):
    id_number = fields.String(validate=ma_resident_id)
    credit_code = fields.String(validate=ma_credit_code)
    mobile = fields.String(validate=ma_mobile)


def test_marshmallow_valid():
    data = {
        "id_number": "11010519491231002X",
        "credit_code": "91350100M000100Y43",
        "mobile": "13800138000",
    }
    assert PersonSchema().load(data) == data


def test_marshmallow_invalid():
    with pytest.raises(MarshmallowValidationError) as info:
        PersonSchema().load(
            {"id_number": "11010519900230001X", "credit_code": "9135", "mobile": "+852 91234567"}
        )
    messages = info.value.messages
    assert messages["id_number"] == [str(v.MESSAGES["id.birth_date"])]
    assert messages["credit_code"] == [str(v.MESSAGES["uscc.length"])]
    assert messages["mobile"] == [str(v.MESSAGES["mobile.country"])]
    assert all(type(m) is str for ms in messages.values() for m in ms)


def test_marshmallow_callables_directly():
    assert ma_mobile("13800138000") is None
    with pytest.raises(MarshmallowValidationError, match="check digit"):
        ma_resident_id("110105194912310021")
