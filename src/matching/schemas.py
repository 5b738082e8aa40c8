"""HTTP shapes several features share: a score's reason (matches, pushes and plans show one)."""

from collections.abc import Mapping

from pydantic import BaseModel, Field

from matching.scoring import Reason


class ReasonRead(BaseModel):
    """One reason, in Chinese and English."""

    code: str
    zh: str = Field(description="e.g. 同县岗位，距离 12 公里")
    en: str = Field(description="e.g. Same county, 12 km")

    @classmethod
    def of(cls, reason: Reason | Mapping[str, str]) -> "ReasonRead":
        """From the scoring core's reason, or from one stored as JSON with a push."""
        if isinstance(reason, Reason):
            return cls(code=reason.code, zh=reason.zh, en=reason.en)
        return cls(code=reason["code"], zh=reason["zh"], en=reason["en"])
