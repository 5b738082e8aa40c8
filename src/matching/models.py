"""Every ORM model, imported together so the metadata (and Alembic) sees the whole schema."""

from matching.agencies.models import Agency
from matching.audit.models import AuditEntry
from matching.auth.models import ApiKey
from matching.changes import AnswerStamp, ChangeCounter
from matching.database import Base
from matching.employment.models import Employment, ServiceRecord
from matching.exchanges.models import Exchange, ExchangeLine, ExchangeMember
from matching.jobs.models import Job
from matching.labourers.models import Labourer, LabourerSkill, StatusPeriod
from matching.learning.models import LearnedWeights
from matching.planning.models import Plan, PlanItem
from matching.posts.models import IdempotencyRecord, Post, PostSkill
from matching.pushes.models import Push, PushEvent
from matching.regions.models import TownshipSeat
from matching.reports.models import RegionTarget
from matching.webhooks.models import WebhookAttempt, WebhookMessage, WebhookSecret

__all__ = [
    "Agency",
    "AnswerStamp",
    "ApiKey",
    "AuditEntry",
    "Base",
    "ChangeCounter",
    "Employment",
    "Exchange",
    "ExchangeLine",
    "ExchangeMember",
    "IdempotencyRecord",
    "Job",
    "Labourer",
    "LabourerSkill",
    "LearnedWeights",
    "Plan",
    "PlanItem",
    "Post",
    "PostSkill",
    "Push",
    "PushEvent",
    "RegionTarget",
    "ServiceRecord",
    "StatusPeriod",
    "TownshipSeat",
    "WebhookAttempt",
    "WebhookMessage",
    "WebhookSecret",
]
