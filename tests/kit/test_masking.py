"""Masks keep enough to recognise a person's data, and its length, but not the data."""

import pytest

from matching.kit.idnumber import id_check_digit
from matching.kit.masking import mask_id_number, mask_name, mask_phone


def test_id_number_keeps_first_and_last_four() -> None:
    number = "43098119850612123" + id_check_digit("43098119850612123")
    masked = mask_id_number(number)
    assert masked == number[:4] + "*" * 10 + number[-4:]
    assert len(masked) == len(number)


def test_id_number_example_from_the_spec() -> None:
    assert mask_id_number("430981198506121234") == "4309**********1234"


def test_short_values_are_starred_out_entirely() -> None:
    assert mask_id_number("12345678") == "********"
    assert mask_id_number("") == ""


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("13812345678", "138****5678"),
        ("0731-2345678", "0731-*****78"),
        ("010-62345678", "010-******78"),
    ],
)
def test_phone(phone: str, expected: str) -> None:
    assert mask_phone(phone) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("张三丰", "张*丰"),
        ("李四", "李*"),
        ("王", "*"),
        ("欧阳娜娜", "欧**娜"),
        ("阿卜杜拉·艾买提", "阿******提"),
        (" 张三丰 ", "张*丰"),
        ("", ""),
    ],
)
def test_name(name: str, expected: str) -> None:
    assert mask_name(name) == expected
