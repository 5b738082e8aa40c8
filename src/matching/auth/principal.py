"""The authenticated caller and what its scope reaches."""

from dataclasses import dataclass
from typing import Any

from matching.auth.models import ApiKey, Role


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: one API key's role and scope."""

    key_id: int
    role: Role
    region_scopes: tuple[str, ...] = ()
    agency_id: int | None = None

    @classmethod
    def from_key(cls, key: ApiKey) -> "Principal":
        """The principal an API key stands for."""
        return cls(
            key_id=key.id,
            role=key.role,
            region_scopes=tuple(key.region_scopes or ()),
            agency_id=key.agency_id,
        )

    def to_stored(self) -> dict[str, Any]:
        """The principal as JSON, kept with work done later on its behalf (a job)."""
        return {"key_id": self.key_id, "role": self.role.value,
                "region_scopes": list(self.region_scopes), "agency_id": self.agency_id}  # fmt: skip

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> "Principal":
        """The principal `to_stored` kept, as it was then."""
        return cls(
            key_id=int(stored["key_id"]),
            role=Role(stored["role"]),
            region_scopes=tuple(stored.get("region_scopes") or ()),
            agency_id=stored.get("agency_id"),
        )

    @property
    def unrestricted(self) -> bool:
        """Admin and the app backend reach every region."""
        return self.role in (Role.admin, Role.app)

    def covers_region(self, code: str | None) -> bool:
        """Whether a region code lies inside this caller's scope."""
        if self.unrestricted:
            return True
        if self.role != Role.staff or not code:
            return False
        return any(code.startswith(prefix) for prefix in self.region_scopes)
