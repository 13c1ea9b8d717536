"""Tests for app.core.masking."""

import pytest

from app.core.masking import (
    MASKERS,
    PERM_VIEW_FULL,
    mask,
    mask_generic,
    mask_id_number,
    mask_mobile,
    mask_name,
)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("110105194912310021", "**************0021"),
        ("11010519491231002X", "**************002X"),
        ("440524188001010014", "**************0014"),
        (" 440524188001010014 ", "**************0014"),
        (None, ""),
        ("", ""),
        ("1234", "****"),
        ("12", "**"),
        ("12345", "*2345"),
        (123456789, "*****6789"),
    ],
)
def test_mask_id_number(value, expected):
    assert mask_id_number(value) == expected


def test_mask_id_number_never_shows_birth_date():
    masked = mask_id_number("11010519491231002X")
    assert "1949" not in masked
    assert "1231" not in masked
    assert len(masked) == 18


@pytest.mark.parametrize(
    "value, expected",
    [
        ("17712341234", "177****1234"),
        ("13800138000", "138****8000"),
        (13800138000, "138****8000"),
        ("12345678", "123*5678"),  # 8 characters: first 3 + last 4
        ("+8613800138000", "+86*******8000"),
        ("1234567", "*****67"),  # 7 characters: all but last 2
        ("123", "*23"),
        ("12", "**"),
        ("1", "*"),
        (None, ""),
        ("", ""),
    ],
)
def test_mask_mobile(value, expected):
    assert mask_mobile(value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("张小三", "张*三"),
        ("张三", "张*"),
        ("张", "张"),
        ("欧阳小明", "欧*明"),
        ("阿卜杜拉·买买提", "阿*提"),
        ("John Smith", "J*h"),
        ("Li Xiaoming", "L*g"),
        (" 张小三 ", "张*三"),
        (None, ""),
        ("", ""),
        (42, "4*"),
        (123, "1*3"),
    ],
)
def test_mask_name(value, expected):
    assert mask_name(value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("abcdef", "a****f"),
        ("abc", "a*c"),
        ("ab", "a*"),
        ("a", "*"),
        (None, ""),
        ("", ""),
        (12345, "1***5"),
        ("北京市朝阳区", "北****区"),
    ],
)
def test_mask_generic(value, expected):
    assert mask_generic(value) == expected


def test_maskers_registry():
    assert set(MASKERS) == {"account", "id_number", "mobile", "name", "generic"}
    assert mask("account", "13912345678") == "139****5678"
    assert mask("account", "pm_a") == "pm_a"
    assert mask("id_number", "110105194912310021") == "**************0021"
    assert mask("mobile", "17712341234") == "177****1234"
    assert mask("name", "张小三") == "张*三"
    assert mask("generic", "abc") == "a*c"
    assert mask("mobile", None) == ""


def test_mask_unknown_kind():
    with pytest.raises(ValueError, match="unknown mask kind"):
        mask("credit_code", "91350100M000100Y43")


def test_permission_name():
    assert PERM_VIEW_FULL == "can_view_full_pii"
