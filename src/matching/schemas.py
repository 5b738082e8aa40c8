"""HTTP shapes several features share: a score's reason (matches, pushes and plans show one),
and the rule for PATCH bodies that a field left out is kept but a field sent as null is
refused when the record cannot be without it."""

import re
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi.responses import Response
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from matching import clock
from matching.scoring import Reason

# A month as the API takes it: YYYY-MM of 2000–2099, so no date arithmetic (six months back, a
# year back) leaves the calendar, and a typo such as 0001-01 is refused with a reason.
MONTH_PATTERN = r"^20[0-9]{2}-(0[1-9]|1[0-2])$"


def json_response(model: BaseModel) -> Response:
    """A response model sent as pydantic serialises it, in one pass: the bytes FastAPI would
    send for it, without its check of a route's return value, which dumps the model, validates
    the dump and serialises that (0.3 ms of a match, 0.6 ms of a candidates request; issue 14).
    For a hot route whose model is built validated; the route declares `response_model` for
    the document."""
    return Response(model.__pydantic_serializer__.to_json(model), media_type="application/json")


class ReasonRead(BaseModel):
    """One reason, in Chinese and English."""

    code: str = Field(
        description="Stable code to key on, e.g. location.county, skill.missing, "
        'priority.welfare_reserved; the list is in docs/scoring.md, "Reason codes"'
    )
    zh: str = Field(description="e.g. 同县岗位，距离 12 公里")
    en: str = Field(description="e.g. Same county, 12 km")

    @classmethod
    def of(cls, reason: Reason | Mapping[str, str]) -> "ReasonRead":
        """From the scoring core's reason, or from one stored as JSON with a push."""
        if isinstance(reason, Reason):
            return cls(code=reason.code, zh=reason.zh, en=reason.en)
        return cls(code=reason["code"], zh=reason["zh"], en=reason["en"])


def not_null(cls: type[BaseModel], value: Any) -> Any:
    """A `field_validator(..., mode="before")` for PATCH fields the record cannot be without:
    leaving the field out keeps it, null is refused (the field's type is declared with
    `SkipJsonSchema[None]`, so the OpenAPI document says it is not nullable)."""
    if value is None:
        raise ValueError(
            "must not be null: leave the field out to keep it / 不能为空，不修改请省略该字段"
        )
    return value


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2100, 12, 31)


def _iso_day(value: Any) -> Any:
    """Only a YYYY-MM-DD string (or a date): pydantic would also take 0 as 1970-01-01."""
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DAY.fullmatch(value)):
        return value
    raise ValueError("a date as YYYY-MM-DD / 日期格式应为 YYYY-MM-DD")


def _in_calendar(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError("must lie between 1900-01-01 and 2100-12-31 / 日期超出范围")
    return value


def _not_far_ahead(value: date) -> date:
    if value > clock.today() + timedelta(days=366):
        raise ValueError("more than a year ahead / 日期不能晚于一年后")
    return value


def _born(value: date) -> date:
    if value > clock.today():
        raise ValueError("in the future / 出生日期不能晚于今天")
    return value


# A day in a request: YYYY-MM-DD between 1900 and 2100.
Day = Annotated[date, BeforeValidator(_iso_day), AfterValidator(_in_calendar)]
# The day something happened or starts (a status, a job, a service): at most a year ahead.
EventDay = Annotated[Day, AfterValidator(_not_far_ahead)]
# A birth date: from 1900 to today.
BirthDay = Annotated[Day, AfterValidator(_born)]
