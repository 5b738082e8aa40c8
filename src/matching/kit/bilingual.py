"""Messages in both languages: a validation error as Chinese and English, and every
"English / 中文" message put in the order the caller's Accept-Language asks for (Chinese first
unless English is preferred)."""

import re
from collections.abc import Mapping
from typing import Any

# Validation errors by pydantic's error type; {names} come from the error's context.
_CHINESE: dict[str, str] = {
    "missing": "必填",
    "extra_forbidden": "不允许的字段",
    "string_type": "应为文本",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不符",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数，不能有小数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "decimal_parsing": "应为数字",
    "finite_number": "应为有限的数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "greater_than": "须大于 {gt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than": "须小于 {lt}",
    "less_than_equal": "不能大于 {le}",
    "multiple_of": "须为 {multiple_of} 的倍数",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "enum": "须为以下之一：{expected}",
    "literal_error": "须为以下之一：{expected}",
    "date_type": "应为日期，如 2026-03-01",
    "date_parsing": "应为日期，如 2026-03-01",
    "date_from_datetime_parsing": "应为日期，如 2026-03-01",
    "date_from_datetime_inexact": "应为日期，不含时间",
    "datetime_type": "应为带时区的时间，如 2026-03-01T08:00:00+08:00",
    "datetime_parsing": "应为带时区的时间，如 2026-03-01T08:00:00+08:00",
    "datetime_from_date_parsing": "应为带时区的时间，如 2026-03-01T08:00:00+08:00",
    "timezone_aware": "须带时区",
    "list_type": "应为列表",
    "set_type": "应为列表",
    "tuple_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "json_invalid": "不是有效的 JSON",
    "json_type": "应为 JSON 文本",
    "uuid_parsing": "应为 UUID",
    "uuid_type": "应为 UUID",
    "url_parsing": "应为网址",
    "url_type": "应为网址",
    "url_scheme": "网址协议不对",
}
_VALUE_ERROR = re.compile(r"^(Value|Assertion) error, ")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
_FIELD_PREFIX = re.compile(r"^((?:body|query|path|header)\b[^:\s]*): ")
_NEXT_FIELD = re.compile(r"; (?=(?:body|query|path|header)\b[^:\s]*: )")


def validation_reason(error: Mapping[str, Any]) -> str:
    """A pydantic error as "中文 / English"; a validator's own message is kept as written
    (the service's validators write both languages already)."""
    message = str(error.get("msg", "invalid value"))
    if error.get("type") in ("value_error", "assertion_error"):
        message = _VALUE_ERROR.sub("", message)
        return message if _CJK.search(message) else f"取值无效 / {message}"
    template = _CHINESE.get(str(error.get("type")))
    if template is None:
        return f"取值无效 / {message}"
    context = {k: _shown(v) for k, v in (error.get("ctx") or {}).items()}
    try:
        chinese = template.format(**context)
    except (KeyError, IndexError):
        chinese = template.split("{", 1)[0].rstrip("：: ") or "取值无效"
    return f"{chinese} / {message}"


def _shown(value: Any) -> str:
    text = str(value)
    return text.replace(" or ", "、").replace("', '", "'、'")


def prefers_english(accept_language: str | None) -> bool:
    """Whether Accept-Language ranks English above Chinese (neither named: Chinese first)."""
    best: dict[str, float] = {}
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        language = tag.strip().lower().split("-", 1)[0]
        if language not in ("en", "zh"):
            continue
        weight = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                continue
        best[language] = max(best.get(language, 0.0), weight)
    return best.get("en", 0.0) > best.get("zh", 0.0)


def in_order(text: str, *, english_first: bool) -> str:
    """Each "English / 中文" (or "中文 / English") part of a message in the chosen order; a
    field named before a part stays in front, a part in one language stays as it is."""
    return "; ".join(_one(part, english_first) for part in _NEXT_FIELD.split(text))


def _one(part: str, english_first: bool) -> str:
    prefix = ""
    named = _FIELD_PREFIX.match(part)
    if named:
        prefix, part = named.group(0), part[named.end() :]
    halves = part.rsplit(" / ", 1)
    if len(halves) != 2:
        return prefix + part
    first, second = halves
    first_share, second_share = _share(first), _share(second)
    if first_share == second_share:
        return prefix + part
    chinese, english = (first, second) if first_share > second_share else (second, first)
    ordered = f"{english} / {chinese}" if english_first else f"{chinese} / {english}"
    return prefix + ordered


def _share(text: str) -> float:
    return len(_CJK.findall(text)) / max(len(text), 1)
