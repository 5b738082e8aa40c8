"""Masks for showing personal data to people who need to recognise it, not to know it."""

import re

_MOBILE = re.compile(r"1[0-9]{10}")
_STAR = "*"


def mask_id_number(number: str) -> str:
    """Keep the first 4 and last 4 characters: "4309**********1234"."""
    return _keep_ends(number.strip(), head=4, tail=4)


def mask_phone(phone: str) -> str:
    """Mask normalise_phone output: "138****5678"; landlines keep area code and last 2."""
    phone = phone.strip()
    if _MOBILE.fullmatch(phone):
        return _keep_ends(phone, head=3, tail=4)
    area, dash, local = phone.partition("-")
    if dash:
        return f"{area}-{_keep_ends(local, head=0, tail=2)}"
    return _keep_ends(phone, head=0, tail=2)


def mask_name(name: str) -> str:
    """Keep the first and last character: "张三丰" → "张*丰", "李四" → "李*", "王" → "*"."""
    name = name.strip()
    if len(name) <= 1:
        return _STAR * len(name)
    if len(name) == 2:
        return name[0] + _STAR
    return _keep_ends(name, head=1, tail=1)


def _keep_ends(value: str, *, head: int, tail: int) -> str:
    """Star out the middle, keeping the length; too short to hide anything → all stars."""
    hidden = len(value) - head - tail
    if hidden <= 0:
        return _STAR * len(value)
    return value[:head] + _STAR * hidden + value[len(value) - tail :]
