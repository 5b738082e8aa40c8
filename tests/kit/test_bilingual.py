"""Messages in both languages, in the order Accept-Language asks for."""

import pytest

from matching.kit.bilingual import in_order, prefers_english, validation_reason


@pytest.mark.parametrize(
    ("header", "english"),
    [
        (None, False),
        ("", False),
        ("zh-CN,zh;q=0.9,en;q=0.8", False),
        ("en-US,en;q=0.9", True),
        ("en;q=0.5, zh;q=0.8", False),
        ("zh;q=0.3, en-GB;q=0.7", True),
        ("fr-FR", False),
        ("en;q=abc", False),
    ],
)
def test_the_preferred_language(header: str | None, english: bool) -> None:
    assert prefers_english(header) is english


def test_a_message_is_put_in_order_and_a_field_stays_in_front() -> None:
    text = "body.phone: not a mobile number / 不是有效的手机号; body.name: 必填 / Field required"
    assert in_order(text, english_first=False) == (
        "body.phone: 不是有效的手机号 / not a mobile number; body.name: 必填 / Field required"
    )
    assert in_order(text, english_first=True) == (
        "body.phone: not a mobile number / 不是有效的手机号; body.name: Field required / 必填"
    )
    once = in_order(text, english_first=True)
    assert in_order(once, english_first=True) == once  # idempotent: safe to apply twice


def test_one_language_and_semicolons_inside_a_reason_are_left_alone() -> None:
    assert in_order("Not found", english_first=False) == "Not found"
    text = "unknown value 'x'; use one of 未就业、失业 / 无法识别，请填写所列之一"
    assert in_order(text, english_first=False) == (
        "无法识别，请填写所列之一 / unknown value 'x'; use one of 未就业、失业"
    )


@pytest.mark.parametrize(
    ("error", "chinese"),
    [
        ({"type": "missing", "msg": "Field required"}, "必填"),
        ({"type": "string_too_long", "msg": "String should have at most 50 characters",
          "ctx": {"max_length": 50}}, "最多 50 个字符"),
        ({"type": "less_than_equal", "msg": "Input should be less than or equal to 100000",
          "ctx": {"le": 100000}}, "不能大于 100000"),
        ({"type": "enum", "msg": "Input should be 'a' or 'b'", "ctx": {"expected": "'a' or 'b'"}},
         "须为以下之一：'a'、'b'"),
        ({"type": "int_parsing", "msg": "Input should be a valid integer"}, "应为整数"),
        ({"type": "something_new", "msg": "Odd"}, "取值无效"),
    ],
)  # fmt: skip
def test_validation_errors_in_chinese_and_english(error: dict[str, object], chinese: str) -> None:
    assert validation_reason(error) == f"{chinese} / {error['msg']}"


def test_a_validators_own_words_are_kept() -> None:
    error = {"type": "value_error", "msg": "Value error, in the future / 出生日期不能晚于今天"}
    assert validation_reason(error) == "in the future / 出生日期不能晚于今天"
    plain = {"type": "value_error", "msg": "Value error, odd"}
    assert validation_reason(plain) == "取值无效 / odd"
