"""Labourers, their skills and their effective-dated employment status."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Date, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matching.database import Base, utcnow


def _enum(cls: type[StrEnum]) -> Enum:
    return Enum(cls, native_enum=False, length=24, validate_strings=True)


class PovertyStatus(StrEnum):
    """建档立卡 status."""

    registered = "registered"  # 建档立卡
    exited = "exited"  # 已脱贫
    monitored = "monitored"  # 监测对象


class LabourAbility(StrEnum):
    """劳动能力."""

    full = "full"
    partial = "partial"
    none = "none"


class Relocation(StrEnum):
    """How far from home a labourer will go to work (外出意愿), nearest first."""

    township = "township"  # 本乡镇
    county = "county"  # 本县
    prefecture = "prefecture"  # 本市
    province = "province"  # 本省
    anywhere = "anywhere"  # 省外也可


class Education(StrEnum):
    """文化程度, lowest first."""

    none = "none"
    primary = "primary"
    junior = "junior"  # 初中
    senior = "senior"  # 高中
    vocational = "vocational"  # 中专/技校
    college = "college"  # 大专
    bachelor = "bachelor"  # 本科及以上


class Sex(StrEnum):
    """From the ID number."""

    male = "male"
    female = "female"


class SkillLevel(StrEnum):
    """职业技能等级, lowest first."""

    none = "none"
    junior = "junior"  # 初级工
    intermediate = "intermediate"  # 中级工
    senior = "senior"  # 高级工
    technician = "technician"  # 技师及以上


class EmploymentStatus(StrEnum):
    """就业状态."""

    unemployed = "unemployed"
    employed_local = "employed_local"  # 县内就业
    employed_out_county = "employed_out_county"  # 县外省内
    employed_out_province = "employed_out_province"  # 省外
    public_welfare = "public_welfare"  # 公益性岗位
    self_employed = "self_employed"  # 自主创业/灵活就业
    not_seeking = "not_seeking"  # 不求职

    @property
    def is_employed(self) -> bool:
        """Counts as employed in the targets report."""
        return self not in (EmploymentStatus.unemployed, EmploymentStatus.not_seeking)


class Labourer(Base):
    """One registered person: one ID number is one labourer (一人一号)."""

    __tablename__ = "labourers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), index=True)
    # kit.spelling: |zhangjianguo|zjg|, what a clerk types to find 张建国.
    name_spellings: Mapped[str] = mapped_column(Text, default="|", server_default="|")
    id_number_cipher: Mapped[str | None] = mapped_column(String(200))
    id_number_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    id_number_mask: Mapped[str | None] = mapped_column(String(18))
    sex: Mapped[Sex | None] = mapped_column(_enum(Sex))
    birth_date: Mapped[date | None] = mapped_column(Date, index=True)
    phone_cipher: Mapped[str | None] = mapped_column(String(200))
    phone_mask: Mapped[str | None] = mapped_column(String(20))
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    hukou_region: Mapped[str] = mapped_column(String(12), index=True)
    # A former code as the roster gave it (432302); hukou_region then holds its successor.
    hukou_region_recorded: Mapped[str | None] = mapped_column(String(12))
    residence_region: Mapped[str | None] = mapped_column(String(12))
    household_id: Mapped[str | None] = mapped_column(String(40), index=True)
    poverty_status: Mapped[PovertyStatus] = mapped_column(_enum(PovertyStatus))
    labour_ability: Mapped[LabourAbility] = mapped_column(_enum(LabourAbility))
    wants_work: Mapped[bool]
    relocation: Mapped[Relocation] = mapped_column(_enum(Relocation))
    education: Mapped[Education | None] = mapped_column(_enum(Education))
    expected_wage: Mapped[int | None]
    preferred_occupations: Mapped[list[str]] = mapped_column(JSON, default=list)
    unresolved_skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    sanwu: Mapped[bool] = mapped_column(default=False)  # 三无: 无法离乡、无业可扶、无力脱贫
    lianghousheng: Mapped[bool] = mapped_column(default=False)  # 两后生
    disabled: Mapped[bool] = mapped_column(default=False)
    change_seq: Mapped[int] = mapped_column(default=0, index=True)
    # Enrolled in the mobile app since (docs/domain.md, "Roles"): the app key acts only for a
    # labourer with this set; unlinking clears it.
    app_linked_at: Mapped[datetime | None]
    # A record merged into another (one person, two records): kept, never counted or matched.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("labourers.id"), index=True)
    merged_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    skills: Mapped[list["LabourerSkill"]] = relationship(
        back_populates="labourer", cascade="all, delete-orphan", order_by="LabourerSkill.skill_id"
    )


class LabourerSkill(Base):
    """A taxonomy skill a labourer has."""

    __tablename__ = "labourer_skills"

    labourer_id: Mapped[int] = mapped_column(
        ForeignKey("labourers.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[str] = mapped_column(String(8), primary_key=True, index=True)
    level: Mapped[SkillLevel] = mapped_column(_enum(SkillLevel), default=SkillLevel.none)
    certificate: Mapped[str | None] = mapped_column(String(100))
    source_text: Mapped[str | None] = mapped_column(String(100))

    labourer: Mapped[Labourer] = relationship(back_populates="skills")


class StatusPeriod(Base):
    """An employment status in force from a date until the next period (effective-dated)."""

    __tablename__ = "labourer_status_periods"
    __table_args__ = (
        UniqueConstraint("labourer_id", "effective_from"),
        Index("ix_status_periods_labourer_date", "labourer_id", "effective_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    labourer_id: Mapped[int] = mapped_column(ForeignKey("labourers.id", ondelete="CASCADE"))
    status: Mapped[EmploymentStatus] = mapped_column(_enum(EmploymentStatus))
    effective_from: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_key_id: Mapped[int | None]
