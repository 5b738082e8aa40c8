"""Region scope, the rule every feature applies the same way (docs/domain.md, "Roles"): a staff
key reaches the regions under its prefixes; admin and the app backend reach every region."""

from typing import Any, Protocol

from sqlalchemy import ColumnElement, or_

from matching.errors import Forbidden


class Scoped(Protocol):
    """A caller with a region scope (auth.principal.Principal is one)."""

    @property
    def unrestricted(self) -> bool:
        """Whether every region is in scope."""
        ...

    @property
    def region_scopes(self) -> tuple[str, ...]:
        """The region-code prefixes in scope."""
        ...

    def covers_region(self, code: str | None) -> bool:
        """Whether a region code lies inside the scope."""
        ...


def scope_clause(principal: Scoped, region_column: Any) -> ColumnElement[bool] | None:
    """Rows a staff key may reach, by region prefix; None when unrestricted."""
    if principal.unrestricted:
        return None
    return or_(*(region_column.startswith(prefix) for prefix in principal.region_scopes))


class OutOfScope(Forbidden):
    """A region outside the caller's scope, with the field that named it (a roster row puts
    the refusal in that column)."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"{field} {code} is outside this key's regions / 超出管辖范围")
        self.field = field


def check_scope(principal: Scoped, code: str, field: str) -> None:
    """403 when a region code lies outside the caller's scope."""
    if not principal.covers_region(code):
        raise OutOfScope(field, code)
