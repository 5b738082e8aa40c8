"""Every ORM model, imported together so the metadata (and Alembic) sees the whole schema."""

from matching.agencies.models import Agency
from matching.audit.models import AuditEntry
from matching.auth.models import ApiKey
from matching.changes import ChangeCounter
from matching.database import Base
from matching.labourers.models import Labourer, LabourerSkill, StatusPeriod
from matching.posts.models import IdempotencyRecord, Post, PostSkill

__all__ = [
    "Agency",
    "ApiKey",
    "AuditEntry",
    "Base",
    "ChangeCounter",
    "IdempotencyRecord",
    "Labourer",
    "LabourerSkill",
    "Post",
    "PostSkill",
    "StatusPeriod",
]
