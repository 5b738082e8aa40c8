"""List exchanges with partner agencies (三来三往, docs/partners.md)."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matching.database import Base, utcnow


class ExchangeState(StrEnum):
    """sent → answered → matched → closed; each step dated."""

    sent = "sent"  # 求职清单已发送
    answered = "answered"  # 合作方已提供岗位供给清单
    matched = "matched"  # 已按清单推送
    closed = "closed"  # 已结束


class Exchange(Base):
    """One 求职清单 from an origin region to a partner agency, and what came of it."""

    __tablename__ = "exchanges"

    id: Mapped[int] = mapped_column(primary_key=True)
    origin_region: Mapped[str] = mapped_column(String(12), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(12), default=ExchangeState.sent.value)
    sent_on: Mapped[date] = mapped_column(Date)  # China day the list was built and sent
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column()
    matched_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    created_by_key_id: Mapped[int | None]
    lines: Mapped[list["ExchangeLine"]] = relationship(
        order_by="ExchangeLine.line_no", lazy="selectin"
    )


class ExchangeLine(Base):
    """One trade of the seeker list: how many, and what they are like (no one named)."""

    __tablename__ = "exchange_lines"
    __table_args__ = (UniqueConstraint("exchange_id", "line_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exchange_id: Mapped[int] = mapped_column(ForeignKey("exchanges.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    occupation_id: Mapped[str | None] = mapped_column(String(16))  # None: no trade (普工)
    trade: Mapped[str] = mapped_column(String(100))
    count: Mapped[int] = mapped_column(Integer)
    wage_median: Mapped[int | None] = mapped_column()
    wage_min: Mapped[int | None] = mapped_column()
    wage_max: Mapped[int | None] = mapped_column()
    age_bands: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    sexes: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    housing_needed: Mapped[int] = mapped_column(Integer, default=0)
    available_from: Mapped[date] = mapped_column(Date)


class ExchangeMember(Base):
    """A labourer the list counted, on which line: the origin's alone to see."""

    __tablename__ = "exchange_members"
    __table_args__ = (UniqueConstraint("exchange_id", "labourer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exchange_id: Mapped[int] = mapped_column(ForeignKey("exchanges.id"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("exchange_lines.id"))
    labourer_id: Mapped[int] = mapped_column(ForeignKey("labourers.id"), index=True)
