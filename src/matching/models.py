"""Every ORM model, imported together so the metadata (and Alembic) sees the whole schema."""

from matching.agencies.models import Agency
from matching.auth.models import ApiKey
from matching.database import Base

__all__ = ["Agency", "ApiKey", "Base"]
