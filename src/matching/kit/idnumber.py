"""Chinese resident ID numbers (GB 11643-1999): parse, validate and compute the check digit."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from matching import clock

Reason = Literal["format", "checksum", "birth_date", "region"]
Sex = Literal["male", "female"]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
# [0-9], not \d or str.isdigit(): those accept full-width and other Unicode digits.
_FIRST17 = re.compile(r"[0-9]{17}")
_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_OLD_SHAPE = re.compile(r"[0-9]{15}")
_EARLIEST_YEAR = 1900

# Messages never echo the number itself: they end up in logs and error bodies.
_MESSAGES: dict[str, str] = {
    "old": "15位旧身份证号须先转换为18位 / "
    "15-digit old ID numbers must be converted to the 18-digit form first",
    "length": "身份证号应为18位 / ID number must be 18 characters long",
    "chars": "身份证号前17位须为数字，末位为数字或X / "
    "ID number must be 17 digits followed by a digit or X",
    "checksum": "身份证号校验位错误 / ID number check digit is wrong",
    "no_such_date": "身份证号中的出生日期不存在 / birth date in the ID number does not exist",
    "future": "身份证号中的出生日期晚于今天 / birth date in the ID number is in the future",
    "too_early": "身份证号中的出生日期早于1900年 / birth date in the ID number is before 1900",
    "region": "身份证号前6位不是已知的行政区划代码 / "
    "first 6 digits of the ID number are not a known region code",
}


class InvalidIdNumber(ValueError):
    """An ID number was refused; `reason` is machine-readable, str(exc) bilingual."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason
        self.message = message


@dataclass(frozen=True, slots=True)
class ParsedIdNumber:
    """A valid 18-digit ID number and the facts encoded in it."""

    number: str
    region_code: str
    birth_date: date
    sex: Sex
    sequence: str


def id_check_digit(first17: str) -> str:
    """The GB 11643-1999 check character (0-9 or X) for the first 17 digits."""
    if not _FIRST17.fullmatch(first17):
        raise ValueError("first17 must be exactly 17 ASCII digits")
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def parse_id_number(
    raw: str,
    *,
    is_known_region: Callable[[str], bool] | None = None,
    today: date | None = None,
) -> ParsedIdNumber:
    """Validate an 18-digit ID number and split it into its parts, or raise InvalidIdNumber."""
    number = _normalise(raw)
    # Checksum before the date: a typo anywhere in the first 17 digits is reported as such.
    if id_check_digit(number[:17]) != number[17]:
        raise InvalidIdNumber("checksum", _MESSAGES["checksum"])
    born = _birth_date(number[6:14], today or clock.today())
    if is_known_region is not None and not is_known_region(number[:6]):
        raise InvalidIdNumber("region", _MESSAGES["region"])
    return ParsedIdNumber(
        number=number,
        region_code=number[:6],
        birth_date=born,
        sex="male" if int(number[16]) % 2 else "female",
        sequence=number[14:17],
    )


def _normalise(raw: str) -> str:
    """Trim and upper-case, then check the shape; the old 15-digit form gets its own message."""
    number = raw.strip().upper()
    if _OLD_SHAPE.fullmatch(number):
        raise InvalidIdNumber("format", _MESSAGES["old"])
    if len(number) != 18:
        raise InvalidIdNumber("format", _MESSAGES["length"])
    if not _SHAPE.fullmatch(number):
        raise InvalidIdNumber("format", _MESSAGES["chars"])
    return number


def _birth_date(yyyymmdd: str, today: date) -> date:
    """The birth date digits as a real date between 1900 and today."""
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        raise InvalidIdNumber("birth_date", _MESSAGES["no_such_date"]) from None
    if born.year < _EARLIEST_YEAR:
        raise InvalidIdNumber("birth_date", _MESSAGES["too_early"])
    if born > today:
        raise InvalidIdNumber("birth_date", _MESSAGES["future"])
    return born


def age_on(birth_date: date | None, day: date) -> int | None:
    """Whole years of age on a day."""
    if birth_date is None:
        return None
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))
