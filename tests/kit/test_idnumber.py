"""ID number parsing: shape, check digit, birth date, region, and the parts it yields."""

from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.kit.idnumber import InvalidIdNumber, ParsedIdNumber, id_check_digit, parse_id_number

TODAY = date(2025, 6, 1)


def build(region: str = "430981", birth: str = "19850612", sequence: str = "123") -> str:
    """A synthetic, well-formed number with a computed check digit (never a real person's)."""
    first17 = region + birth + sequence
    return first17 + id_check_digit(first17)


def reason_for(raw: str, is_known_region: Callable[[str], bool] | None = None) -> str:
    with pytest.raises(InvalidIdNumber) as info:
        parse_id_number(raw, is_known_region=is_known_region, today=TODAY)
    return info.value.reason


def test_check_digit_matches_the_standards_specimen() -> None:
    # The worked example printed in GB 11643-1999 itself: an independent oracle.
    assert id_check_digit("11010519491231002") == "X"
    assert id_check_digit("44052418800101001") == "4"


@pytest.mark.parametrize("bad", ["", "1234567890123456", "1101051949123100X", "１" * 17])
def test_check_digit_wants_17_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError, match="17"):
        id_check_digit(bad)


def test_parses_the_parts() -> None:
    number = build("430981", "19850612", "123")
    assert parse_id_number(number, today=TODAY) == ParsedIdNumber(
        number=number,
        region_code="430981",
        birth_date=date(1985, 6, 12),
        sex="male",
        sequence="123",
    )


def test_even_17th_digit_is_female() -> None:
    assert parse_id_number(build(sequence="124"), today=TODAY).sex == "female"


def test_whitespace_and_lower_case_x_are_accepted() -> None:
    number = next(n for n in (build(sequence=f"{i:03}") for i in range(100)) if n[-1] == "X")
    parsed = parse_id_number(f"  {number.lower()}\t\n", today=TODAY)
    assert parsed.number == number


def test_old_15_digit_numbers_must_be_converted() -> None:
    with pytest.raises(InvalidIdNumber) as info:
        parse_id_number("430981850612123", today=TODAY)
    assert info.value.reason == "format"
    assert "15" in str(info.value) and "18" in str(info.value)
    assert "converted" in str(info.value) and "转换" in str(info.value)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "4309811985061212",
        "43098119850612123X0",
        "43098119850612A23X",
        "430981198506121X34",
        "４３０９８１１９８５０６１２１２３４",  # full-width digits are not ASCII digits
        "430981 19850612 1234",
    ],
)
def test_malformed_numbers_are_format_errors(raw: str) -> None:
    assert reason_for(raw) == "format"


def test_wrong_check_digit() -> None:
    number = build()
    wrong = "0" if number[-1] != "0" else "1"
    with pytest.raises(InvalidIdNumber) as info:
        parse_id_number(number[:-1] + wrong, today=TODAY)
    assert info.value.reason == "checksum"
    assert str(info.value) == "身份证号校验位错误 / ID number check digit is wrong"


@pytest.mark.parametrize(
    "birth",
    ["19990230", "19851301", "19850600", "00000101", "18991231", "20250602", "29991231"],
)
def test_impossible_early_or_future_birth_dates(birth: str) -> None:
    assert reason_for(build(birth=birth)) == "birth_date"


def test_birth_date_bounds_are_inclusive() -> None:
    assert parse_id_number(build(birth="19000101"), today=TODAY).birth_date == date(1900, 1, 1)
    assert parse_id_number(build(birth="20250601"), today=TODAY).birth_date == TODAY


def test_leap_day_exists_only_in_leap_years() -> None:
    assert parse_id_number(build(birth="20000229"), today=TODAY).birth_date == date(2000, 2, 29)
    assert reason_for(build(birth="19000229")) == "birth_date"


def test_today_defaults_to_the_date_in_china() -> None:
    assert parse_id_number(build()).birth_date == date(1985, 6, 12)


def test_region_is_checked_with_the_first_six_digits() -> None:
    asked: list[str] = []

    def known(code: str) -> bool:
        asked.append(code)
        return code == "430981"

    assert parse_id_number(build("430981"), is_known_region=known, today=TODAY)
    assert reason_for(build("999999"), is_known_region=known) == "region"
    assert asked == ["430981", "999999"]


def test_messages_are_bilingual_and_do_not_echo_the_number() -> None:
    number = build(birth="19990230")
    with pytest.raises(InvalidIdNumber) as info:
        parse_id_number(number, today=TODAY)
    message = str(info.value)
    assert " / " in message and "出生日期" in message and "birth date" in message
    assert number not in message and "19990230" not in message


regions = st.from_regex(r"[1-9][0-9]{5}", fullmatch=True)
births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999).map(lambda n: f"{n:03}")


@given(region=regions, birth=births, sequence=sequences)
def test_built_numbers_parse_back_to_their_parts(region: str, birth: date, sequence: str) -> None:
    parsed = parse_id_number(build(region, birth.strftime("%Y%m%d"), sequence), today=TODAY)
    assert (parsed.region_code, parsed.birth_date, parsed.sequence) == (region, birth, sequence)
    assert parsed.sex == ("male" if int(sequence[-1]) % 2 else "female")


@given(
    region=regions,
    birth=births,
    sequence=sequences,
    position=st.integers(min_value=0, max_value=16),
    shift=st.integers(min_value=1, max_value=9),
)
def test_any_single_digit_change_fails_the_checksum(
    region: str, birth: date, sequence: str, position: int, shift: int
) -> None:
    number = build(region, birth.strftime("%Y%m%d"), sequence)
    changed = str((int(number[position]) + shift) % 10)
    typo = number[:position] + changed + number[position + 1 :]
    assert reason_for(typo) == "checksum"
