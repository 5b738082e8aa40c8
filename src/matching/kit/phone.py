"""Chinese phone numbers: mobiles and fixed lines, normalised to one stored form."""

import re

# [0-9], not \d: \d also matches full-width and other Unicode digits.
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# Local subscriber numbers never start with 0 (trunk prefix) or 1 (special services).
_LANDLINE = re.compile(r"0[0-9]{9,11}")
_LOCAL = re.compile(r"[2-9][0-9]{6,7}")
_SEPARATORS = re.compile(r"[\s-]+")

_EMPTY = "电话号码为空 / phone number is empty"
_BAD = (
    "电话号码格式不正确：应为11位手机号，或区号加7至8位固定电话号码 / "
    "phone number must be an 11-digit mobile number, "
    "or an area code followed by a 7 to 8 digit landline number"
)


class InvalidPhone(ValueError):
    """A phone number was refused; str(exc) is a bilingual message."""


def normalise_phone(raw: str) -> str:
    """A mobile as 11 digits ("13812345678"), a landline as "area-local" ("0731-2345678")."""
    compact = _SEPARATORS.sub("", raw)
    if not compact:
        raise InvalidPhone(_EMPTY)
    mobile = _strip_country_code(compact)
    if _MOBILE.fullmatch(mobile):
        return mobile
    if _LANDLINE.fullmatch(compact):
        area, local = _split_landline(compact)
        if _LOCAL.fullmatch(local):
            return f"{area}-{local}"
    raise InvalidPhone(_BAD)


def _split_landline(digits: str) -> tuple[str, str]:
    """Split "0" + area + local digits; 010 and 020-029 are the only 3-digit area codes."""
    area_length = 3 if digits[:2] in {"01", "02"} else 4
    return digits[:area_length], digits[area_length:]


def _strip_country_code(compact: str) -> str:
    """Drop a leading +86 or 86 from what would then be an 11-digit mobile."""
    for prefix in ("+86", "86"):
        if compact.startswith(prefix) and len(compact) == len(prefix) + 11:
            return compact[len(prefix) :]
    return compact
