"""Registering and reading partner agencies."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from matching.agencies.models import Agency
from matching.auth.models import Role
from matching.auth.principal import Principal
from matching.changes import POSTS, next_seq
from matching.clock import china_date
from matching.database import utcnow
from matching.errors import Conflict, NotFound, Unprocessable
from matching.kit.outbound import RefusedAddress, check_public
from matching.posts.models import Post, PostStatus
from matching.regions.validation import canonical_region_code


def create_agency(
    session: Session,
    *,
    name: str,
    province_code: str,
    callback_url: str | None,
    public_callbacks: bool = False,
) -> Agency:
    """Register an agency; names are unique."""
    if callback_url is not None:
        callback_url = checked_callback(callback_url, public_only=public_callbacks)
    province = canonical_region_code(province_code, field="province_code")
    if len(province) != 2:
        raise Unprocessable.for_field(
            "province_code", "must be a province-level code / 须为省级代码"
        )
    if session.scalar(select(Agency.id).where(Agency.name == name)) is not None:
        raise Conflict(f"An agency named {name!r} exists already")
    agency = Agency(name=name, province_code=province, callback_url=callback_url)
    session.add(agency)
    session.flush()
    return agency


def checked_callback(url: str, *, public_only: bool) -> str:
    """The callback address, or a 422 naming it when it is not one the service sends to."""
    if public_only:
        try:
            check_public(url)
        except RefusedAddress as exc:
            raise Unprocessable.for_field("callback_url", str(exc)) from None
    return url


def list_agencies(session: Session) -> list[Agency]:
    """All agencies by id."""
    return list(session.scalars(select(Agency).order_by(Agency.id)))


def get_agency(session: Session, agency_id: int) -> Agency:
    """One agency, or 404."""
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(f"No agency with id {agency_id}")
    return agency


def agency_for(session: Session, agency_id: int, principal: Principal) -> Agency:
    """The agency, if the caller is an admin or the agency itself (404 otherwise: an agency
    does not learn which other ids exist)."""
    if principal.role == Role.agency and principal.agency_id != agency_id:
        raise NotFound(f"No agency with id {agency_id}")
    return get_agency(session, agency_id)


def update_agency(
    session: Session, agency: Agency, changes: Mapping[str, Any], *, public_callbacks: bool
) -> Agency:
    """Apply the fields the caller sent (contact, callback address, the notices it hears);
    None clears one. With `public_callbacks` (production) a callback must be a public address."""
    for field, value in changes.items():
        if field == "callback_url" and value is not None:
            value = checked_callback(str(value), public_only=public_callbacks)
        if field == "webhook_events":
            value = None if value is None else sorted({str(v) for v in value})
        elif value is not None:
            value = str(value)
        setattr(agency, field, value)
    if changes:
        agency.updated_at = utcnow()
    session.flush()
    return agency


def suspend_agency(session: Session, agency: Agency, *, reason: str, by_key_id: int) -> Agency:
    """Suspend an agency: its keys are refused and its open posts leave every index."""
    if agency.suspended_at is not None:
        raise Conflict(
            f"Agency {agency.id} has been suspended since {china_date(agency.suspended_at)} / "
            "该机构已暂停"
        )
    agency.suspended_at, agency.suspended_reason = utcnow(), reason
    agency.suspended_by_key_id = by_key_id
    _restamp_open_posts(session, agency.id)
    session.flush()
    return agency


def reinstate_agency(session: Session, agency: Agency) -> Agency:
    """Lift a suspension: the keys work again and the open posts match again."""
    if agency.suspended_at is None:
        raise Conflict(f"Agency {agency.id} is not suspended / 该机构未暂停")
    agency.suspended_at = agency.suspended_reason = agency.suspended_by_key_id = None
    _restamp_open_posts(session, agency.id)
    session.flush()
    return agency


def _restamp_open_posts(session: Session, agency_id: int) -> None:
    """Stamp the agency's open posts as changed, so every process's post index re-reads them
    (matches.snapshot leaves out the posts of a suspended agency)."""
    seq = next_seq(session, POSTS)
    session.execute(
        update(Post)
        .where(Post.agency_id == agency_id, Post.status == PostStatus.open)
        .values(change_seq=seq)
    )
