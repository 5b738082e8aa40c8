"""Job posts and the skills they ask for."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matching.database import Base, utcnow
from matching.labourers.models import Education, SkillLevel


def _enum(cls: type[StrEnum]) -> Enum:
    return Enum(cls, native_enum=False, length=24, validate_strings=True)


class PostType(StrEnum):
    """岗位类型."""

    enterprise = "enterprise"  # 企业岗位
    workshop = "workshop"  # 扶贫车间
    base = "base"  # 就业扶贫基地
    public_welfare = "public_welfare"  # 公益性岗位
    home_based = "home_based"  # 居家就业


class PostStatus(StrEnum):
    """Life of a post."""

    open = "open"
    filled = "filled"
    expired = "expired"
    withdrawn = "withdrawn"


class PostSource(StrEnum):
    """Who put the post in."""

    station = "station"
    agency = "agency"


class SexRequirement(StrEnum):
    """Kept as data only and flagged: a sex requirement is usually unlawful."""

    any = "any"
    male = "male"
    female = "female"


class Post(Base):
    """One job post; an agency's post is identified by (agency, external id)."""

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("agency_id", "external_id"),
        CheckConstraint("openings_left >= 0 AND openings_left <= openings", name="openings_left"),
        CheckConstraint("wage_min <= wage_max", name="wage_range"),
        Index("ix_posts_status_region", "status", "workplace_region"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[PostSource] = mapped_column(_enum(PostSource))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(100))
    # A post offered in answer to a 三来三往 seeker list, and the list's line it answers (plain
    # ids, as a push's plan_id: a post must be writable wherever the exchanges are not loaded).
    exchange_id: Mapped[int | None] = mapped_column(index=True)
    exchange_line_id: Mapped[int | None]
    employer: Mapped[str] = mapped_column(String(200))
    post_type: Mapped[PostType] = mapped_column(_enum(PostType))
    title: Mapped[str] = mapped_column(String(200))
    occupation_id: Mapped[str | None] = mapped_column(String(8))
    description: Mapped[str | None] = mapped_column(String(4000))
    workplace_region: Mapped[str] = mapped_column(String(12), index=True)
    openings: Mapped[int]
    openings_left: Mapped[int]
    wage_min: Mapped[int]
    wage_max: Mapped[int]
    housing: Mapped[bool] = mapped_column(default=False)
    meals: Mapped[bool] = mapped_column(default=False)
    age_min: Mapped[int | None]
    age_max: Mapped[int | None]
    sex_requirement: Mapped[SexRequirement] = mapped_column(
        _enum(SexRequirement), default=SexRequirement.any
    )
    education_min: Mapped[Education | None] = mapped_column(_enum(Education))
    seasonal: Mapped[bool] = mapped_column(default=False)
    min_duration_months: Mapped[int | None]
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    # The workplace's own point, where given (rules.places; else its region's seat).
    workplace_lat: Mapped[float | None]
    workplace_lon: Mapped[float | None]
    status: Mapped[PostStatus] = mapped_column(_enum(PostStatus), default=PostStatus.open)
    unresolved_skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_by_key_id: Mapped[int | None]
    change_seq: Mapped[int] = mapped_column(default=0, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    skills: Mapped[list["PostSkill"]] = relationship(
        back_populates="post", cascade="all, delete-orphan", order_by="PostSkill.skill_id"
    )


class PostSkill(Base):
    """A skill a post asks for: required, or only preferred."""

    __tablename__ = "post_skills"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[str] = mapped_column(String(8), primary_key=True, index=True)
    required: Mapped[bool] = mapped_column(default=True)
    min_level: Mapped[SkillLevel] = mapped_column(_enum(SkillLevel), default=SkillLevel.none)
    source_text: Mapped[str | None] = mapped_column(String(100))

    post: Mapped[Post] = relationship(back_populates="skills")


class IdempotencyRecord(Base):
    """A stored response, replayed for a repeated Idempotency-Key with the same body."""

    __tablename__ = "idempotency_records"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
