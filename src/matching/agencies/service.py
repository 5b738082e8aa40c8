"""Registering and reading partner agencies."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.agencies.models import Agency
from matching.errors import Conflict, NotFound, Unprocessable
from matching.regions.validation import canonical_region_code


def create_agency(
    session: Session, *, name: str, province_code: str, callback_url: str | None
) -> Agency:
    """Register an agency; names are unique."""
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


def list_agencies(session: Session) -> list[Agency]:
    """All agencies by id."""
    return list(session.scalars(select(Agency).order_by(Agency.id)))


def get_agency(session: Session, agency_id: int) -> Agency:
    """One agency, or 404."""
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(f"No agency with id {agency_id}")
    return agency
