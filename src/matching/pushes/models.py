"""Pushes and their outcome timelines."""

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matching.clock import china_date, month_of
from matching.database import Base, utcnow
from matching.scoring import Explanation, Match


def _enum(cls: type[StrEnum]) -> Enum:
    return Enum(cls, native_enum=False, length=24, validate_strings=True)


class Channel(StrEnum):
    """How the post reached the labourer (推送渠道)."""

    app = "app"
    sms = "sms"  # 短信
    wechat = "wechat"  # 微信
    phone = "phone"  # 电话
    in_person = "in_person"  # 上门/现场


class PushedBy(StrEnum):
    """Who decided the push."""

    staff = "staff"
    plan = "plan"  # a committed monthly plan
    app = "app"


class PushState(StrEnum):
    """Where a push stands: delivered → viewed → applied → interviewed → hired, or an end."""

    pushed = "pushed"
    delivered = "delivered"  # 已送达
    viewed = "viewed"  # 已查看
    applied = "applied"  # 已报名
    interviewed = "interviewed"  # 已面试
    hired = "hired"  # 已录用
    declined = "declined"  # 本人放弃
    rejected = "rejected"  # 未录用
    no_response = "no_response"  # 无回应

    @property
    def final(self) -> bool:
        """No event may follow."""
        return self in FINAL_STATES


FINAL_STATES = frozenset(
    {PushState.hired, PushState.declined, PushState.rejected, PushState.no_response}
)


class Push(Base):
    """One post pushed to one labourer; a pair is pushed at most once per calendar month."""

    __tablename__ = "pushes"
    __table_args__ = (
        UniqueConstraint("labourer_id", "post_id", "month"),
        # Reports read pushes by day and region and count them per labourer: index-only scans.
        Index("ix_pushes_pushed_on_region", "pushed_on", "labourer_region", "labourer_id"),
        Index("ix_pushes_post_month", "post_id", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    labourer_id: Mapped[int] = mapped_column(ForeignKey("labourers.id"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    # The month (YYYY-MM, China time) and day the push was made; reports count by these.
    month: Mapped[str] = mapped_column(String(7))
    pushed_on: Mapped[date] = mapped_column(Date)
    pushed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The labourer's 户籍 region when pushed: a later move does not rewrite an old month's report.
    labourer_region: Mapped[str] = mapped_column(String(12))
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    pushed_by: Mapped[PushedBy] = mapped_column(_enum(PushedBy))
    pushed_by_key_id: Mapped[int | None]
    plan_id: Mapped[int | None] = mapped_column(index=True)
    exchange_id: Mapped[int | None] = mapped_column(index=True)  # pushed on a 三来三往 list
    score: Mapped[float | None]
    # The labourer's taste factor when pushed (scoring.feedback): calibration's known offset.
    taste_factor: Mapped[float | None]
    breakdown: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    reasons: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    state: Mapped[PushState] = mapped_column(_enum(PushState), default=PushState.pushed)
    state_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set by the hire; a hire on or before attribution_until counts toward the success rate.
    hired_on: Mapped[date | None] = mapped_column(Date)
    attribution_until: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))

    events: Mapped[list["PushEvent"]] = relationship(
        back_populates="push", cascade="all, delete-orphan", order_by="PushEvent.id"
    )


class PushEvent(Base):
    """One step of a push's outcome timeline."""

    __tablename__ = "push_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    push_id: Mapped[int] = mapped_column(ForeignKey("pushes.id", ondelete="CASCADE"), index=True)
    state: Mapped[PushState] = mapped_column(_enum(PushState))
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_key_id: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(String(200))

    push: Mapped[Push] = relationship(back_populates="events")


def push_row(
    made: dict[str, Any],
    labourer_id: int,
    post_id: int,
    labourer_region: str,
    scored: Explanation | Match,
    taste_factor: float | None = None,
) -> dict[str, Any]:
    """The pushes-table row of a new push: the columns of its batch (`push_made`), the pair,
    and its score and reasons, with the labourer's taste factor as the plan or the match
    weighed it (None: not weighed)."""
    return made | {
        "labourer_id": labourer_id,
        "post_id": post_id,
        "labourer_region": labourer_region,
        **push_scores(scored, taste_factor),
    }


def push_made(
    *,
    channel: Channel | str,
    pushed_by: PushedBy,
    key_id: int | None,
    now: datetime,
    attribution_days: int,
    plan_id: int | None = None,
    note: str | None = None,
    exchange_id: int | None = None,
) -> dict[str, Any]:
    """The columns every push made at once shares (a plan's commit writes a million with
    them): its day and month (China time), channel, maker, state and attribution window."""
    today = china_date(now)
    return {
        "month": month_of(today),
        "pushed_on": today,
        "pushed_at": now,
        "channel": channel,
        "pushed_by": pushed_by,
        "pushed_by_key_id": key_id,
        "plan_id": plan_id,
        "exchange_id": exchange_id,
        "state": PushState.pushed,
        "state_at": now,
        "attribution_until": today + timedelta(days=attribution_days),
        "note": note,
    }


def push_scores(scored: Explanation | Match, taste_factor: float | None) -> dict[str, Any]:
    """A push's score, breakdown and reasons as stored (rounded to 4 places), and the taste
    factor it was weighed with."""
    return {
        "score": round(scored.total, 4),
        "taste_factor": None if taste_factor is None else round(taste_factor, 4),
        "breakdown": {k: round(v, 4) for k, v in scored.breakdown.items()},
        "reasons": [{"code": r.code, "zh": r.zh, "en": r.en} for r in scored.reasons],
    }
