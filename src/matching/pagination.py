"""Opaque keyset cursors for lists ordered by id."""

import base64

from matching.errors import Unprocessable

_KIND = "after"


def encode_cursor(last_id: int) -> str:
    """An opaque cursor pointing after a given id."""
    return base64.urlsafe_b64encode(f"{_KIND}:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id a cursor points after, or a 422 naming `cursor`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, value = raw.split(":", 1)
        if kind != _KIND:
            raise ValueError(kind)
        return int(value)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unprocessable.for_field("query.cursor", "not a cursor this list returned") from exc
