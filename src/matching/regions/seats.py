"""Setting and clearing a township's seat point (docs/scoring.md, "Distance between townships").

A new or cleared point moves everyone registered in the township and every post placed there:
they are stamped with new change numbers, so every process's indexes re-read them (as an agency
suspension does for its posts).
"""

from sqlalchemy import update
from sqlalchemy.orm import Session

from matching.changes import LABOURERS, POSTS, next_seq
from matching.clock import now
from matching.errors import NotFound, Unprocessable
from matching.labourers.models import Labourer
from matching.posts.models import Post
from matching.regions.models import TownshipSeat
from matching.regions.registry import RegionLevel, get_registry
from matching.regions.validation import canonical_region_code
from matching.rules.places import check_near_seat


def township_code(code: str) -> str:
    """A current township code (9 digits), or a 422 naming the path parameter."""
    canonical = canonical_region_code(code, field="path.code")
    region = get_registry().get(canonical)
    if region is None or region.level != RegionLevel.township:
        raise Unprocessable.for_field(
            "path.code", "must be a township (乡镇/街道, 9 digits) / 须为乡镇级区划代码"
        )
    return canonical


def set_seat(
    session: Session, code: str, lat: float, lon: float, note: str | None, key_id: int | None
) -> TownshipSeat:
    """Set (or move) the township's seat point; it must lie near its county seat."""
    check_near_seat(code, lat, lon, field="body.lat")
    seat = session.get(TownshipSeat, code)
    if seat is None:
        seat = TownshipSeat(code=code, lat=lat, lon=lon)
        session.add(seat)
    seat.lat, seat.lon, seat.note = lat, lon, note
    seat.set_at, seat.set_by_key_id = now(), key_id
    _restamp(session, code)
    session.flush()
    return seat


def clear_seat(session: Session, code: str) -> None:
    """Remove the township's seat point (its people and posts go back to the county seat)."""
    seat = session.get(TownshipSeat, code)
    if seat is None:
        raise NotFound(f"No seat point is set for township {code}")
    session.delete(seat)
    _restamp(session, code)
    session.flush()


def _restamp(session: Session, code: str) -> None:
    """New change numbers for the township's labourers and for its posts without a point."""
    session.execute(
        update(Labourer)
        .where(Labourer.hukou_region.startswith(code))
        .values(change_seq=next_seq(session, LABOURERS))
    )
    session.execute(
        update(Post)
        .where(Post.workplace_region.startswith(code), Post.workplace_lat.is_(None))
        .values(change_seq=next_seq(session, POSTS))
    )
