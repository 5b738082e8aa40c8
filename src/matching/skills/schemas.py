"""Skill bodies."""

from pydantic import BaseModel, Field


class TermResolution(BaseModel):
    """How one free-text term was normalised to the taxonomy (reported back on every write)."""

    term: str = Field(description="The text as given")
    skill_id: str | None = Field(description="Taxonomy id; null when unresolved (kept as text)")
    name: str | None = Field(description="Canonical name / 标准名称")
    method: str = Field(description="id, exact, alias, contains, fuzzy or unresolved")
    score: float = Field(description="Match confidence in [0, 1]")


class SkillSuggestion(BaseModel):
    """A taxonomy entry offered for a query."""

    id: str
    name: str
    en: str
    kind: str
    group: str
    group_name: str
    aliases: list[str]
    score: float = Field(description="Match confidence in [0, 1]")
