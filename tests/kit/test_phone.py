"""Phone normalisation: mobiles to 11 digits, landlines to "area-local"."""

import pytest

from matching.kit.phone import InvalidPhone, normalise_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        (" 138 1234 5678 ", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("86-199-0000-1111", "19900001111"),
        ("0731-2345678", "0731-2345678"),
        ("0731-23456789", "0731-23456789"),
        ("07312345678", "0731-2345678"),
        ("0737 4567890", "0737-4567890"),
        ("010-62345678", "010-62345678"),
        ("02162345678", "021-62345678"),
    ],
)
def test_accepted_forms(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "  - ",
        "12812345678",  # mobiles start 13-19
        "1381234567",
        "138123456789",
        "+8612812345678",
        "+85213812345",
        "138 1234 567a",
        "１３８１２３４５６７８",  # full-width digits
        "0731-123456",  # local too short
        "0731-123456789",  # local too long
        "0731-0234567",  # local numbers never start with 0
        "0731-1234567",  # ... or 1
        "(0731)2345678",
        "0086 13812345678",
    ],
)
def test_refused_forms(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalise_phone(raw)


def test_message_is_bilingual() -> None:
    with pytest.raises(InvalidPhone) as info:
        normalise_phone("12345")
    message = str(info.value)
    assert "手机号" in message and "mobile" in message and "landline" in message
    assert "12345" not in message
