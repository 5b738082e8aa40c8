"""The authenticated caller and what its scope reaches."""

from dataclasses import dataclass

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
