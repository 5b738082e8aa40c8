"""Opaque keyset cursors for lists ordered by id."""

import base64
import re
from collections.abc import Callable
from typing import TypeVar

from matching.errors import Unprocessable

T = TypeVar("T")
_KIND = "after"
# Exactly what encode_cursor writes: no sign, no spaces, no underscores, no leading zeros, and
# an id the database's integer column can hold.
_CURSOR = re.compile(r"after:(0|[1-9][0-9]{0,9})")
MAX_ID = 2_147_483_647


def encode_cursor(last_id: int) -> str:
    """An opaque cursor pointing after a given id."""
    return base64.urlsafe_b64encode(f"{_KIND}:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id a cursor points after, or a 422 naming `cursor`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unprocessable.for_field("query.cursor", "not a cursor this list returned") from exc
    found = _CURSOR.fullmatch(raw)
    if found is None or int(found.group(1)) > MAX_ID:
        raise Unprocessable.for_field("query.cursor", "not a cursor this list returned")
    return int(found.group(1))


# Lists sorted by something other than id page by (sort key, id): the cursor carries the sort it
# was made for, the last row's key and its id, so a cursor from one sort is refused by another.
_KEYSET = re.compile(r"([a-z_-]{1,20}):(0|[1-9][0-9]{0,9}):(.{0,200})", re.DOTALL)


def encode_keyset_cursor(sort: str, key: str, last_id: int) -> str:
    """An opaque cursor pointing after (key, id) in the given sort."""
    raw = f"{sort}:{last_id}:{key}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_keyset_cursor(cursor: str, sort: str, parse: Callable[[str], T]) -> tuple[T, int]:
    """The (key, id) a cursor of this sort points after, the key read back by `parse` (which
    raises ValueError on what it cannot read), or a 422 naming `cursor`."""
    refused = Unprocessable.for_field(
        "query.cursor", f"not a cursor this list returned for sort={sort}"
    )
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        found = _KEYSET.fullmatch(raw)
        if found is None or found.group(1) != sort or int(found.group(2)) > MAX_ID:
            raise refused
        return parse(found.group(3)), int(found.group(2))
    except (ValueError, UnicodeDecodeError) as exc:
        raise refused from exc
