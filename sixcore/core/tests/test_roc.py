"""Tests for sixcore.core.roc (ROC calendar helpers)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sixcore.core.roc import (
    RocDateError,
    format_quarter,
    format_quarter_zh,
    format_roc_date,
    format_roc_month,
    format_roc_year_month_zh,
    gregorian_to_roc,
    parse_quarter,
    parse_roc_month,
    parse_roc_period,
    quarter_bounds,
    roc_to_gregorian,
)

SEED = Path(__file__).resolve().parents[4] / "shared" / "seed" / "000_cbe2ebe5cd6892fc.txt"


# --- years --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("roc", "greg"), [(1, 1912), (109, 2020), (110, 2021), (113, 2024)])
def test_year_conversion_both_ways(roc: int, greg: int) -> None:
    assert roc_to_gregorian(roc) == greg
    assert gregorian_to_roc(greg) == roc


@pytest.mark.parametrize("roc", [0, -1, 9000])
def test_roc_to_gregorian_rejects_out_of_range(roc: int) -> None:
    with pytest.raises(RocDateError):
        roc_to_gregorian(roc)


@pytest.mark.parametrize("greg", [1911, 1800, 10000])
def test_gregorian_to_roc_rejects_years_outside_the_roc_calendar(greg: int) -> None:
    with pytest.raises(RocDateError):
        gregorian_to_roc(greg)


def test_roc_date_error_is_a_value_error_naming_the_text() -> None:
    with pytest.raises(ValueError, match="110/13"):
        parse_roc_month("110/13")


# --- single dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("110/5", date(2021, 5, 1)),
        ("113/12/31", date(2024, 12, 31)),
        ("109/07", date(2020, 7, 1)),
        (" 110 / 5 ", date(2021, 5, 1)),
        ("１１０／５", date(2021, 5, 1)),  # full-width digits and slash
        ("１１３/１２/３１", date(2024, 12, 31)),
        ("110 年 5 月", date(2021, 5, 1)),
        ("110年5月31日", date(2021, 5, 31)),
        ("1/1", date(1912, 1, 1)),
    ],
)
def test_parse_roc_month(text: str, expected: date) -> None:
    assert parse_roc_month(text) == expected


@pytest.mark.parametrize(
    "text",
    ["110/13", "110/0", "0/5", "113/2/30", "113/12/32", "", "   ", "abc", "110", "110/", "/5",
     "2021/5", "110/5~111/4", "110 年", "110/5/1/2"],
)  # fmt: skip
def test_parse_roc_month_rejects(text: str) -> None:
    with pytest.raises(RocDateError):
        parse_roc_month(text)


@given(st.text())
def test_parse_roc_month_raises_only_roc_date_error(text: str) -> None:
    try:
        result = parse_roc_month(text)
    except RocDateError:
        return
    assert isinstance(result, date)


@given(st.integers(1, 300), st.integers(1, 12), st.integers(1, 28))
def test_parse_roc_month_round_trips_format_roc_date(year: int, month: int, day: int) -> None:
    d = date(year + 1911, month, day)
    assert parse_roc_month(format_roc_date(d)) == d
    assert parse_roc_month(format_roc_month(d)) == d.replace(day=1)
    assert parse_roc_month(format_roc_year_month_zh(d)) == d.replace(day=1)


# --- periods ------------------------------------------------------------------------------------


def _d(y: int, m: int) -> date:
    return date(y, m, 1)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("110/5~111/4", _d(2021, 5), _d(2022, 4)),
        ("109/9-109/12", _d(2020, 9), _d(2020, 12)),
        ("110/1-113/12", _d(2021, 1), _d(2024, 12)),
        ("110~114 年", _d(2021, 1), _d(2025, 12)),
        ("110 年", _d(2021, 1), _d(2021, 12)),
        ("第一期 受理申請 109/9-109/12 執行期程 110/1-111/12", _d(2020, 9), _d(2022, 12)),
        ("<b>第一期</b> 受理申請 109/9-110/3 執行期程 110/4-112/3", _d(2020, 9), _d(2023, 3)),
        ("110/1-110/12 111/1-113/12", _d(2021, 1), _d(2024, 12)),
        ("109/07- 110/03", _d(2020, 7), _d(2021, 3)),
        ("110/01- 113/12", _d(2021, 1), _d(2024, 12)),
        ("<p>110/1~113/12</p>", _d(2021, 1), _d(2024, 12)),
        ("112/12", _d(2023, 12), _d(2023, 12)),
        ("110/12/31 前", _d(2021, 12), _d(2021, 12)),
        ("110/5/15~111/4/30", _d(2021, 5), _d(2022, 4)),
        ("１１０／５～１１１／４", _d(2021, 5), _d(2022, 4)),
        ("110 年 5 月至 111 年 4 月", _d(2021, 5), _d(2022, 4)),
        ("110/5 ~ 111 年", _d(2021, 5), _d(2022, 12)),
        ("109/10-109/10", _d(2020, 10), _d(2020, 10)),
    ],
)
def test_parse_roc_period(text: str, start: date, end: date) -> None:
    assert parse_roc_period(text) == (start, end)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "持續辦理",
        "-",
        "(資料來源：Wood Mackenzie, 2020/12)",  # a Gregorian date is not a period
        "110/13-111/1",
        "111/5~110/4",  # reversed
        "114~110 年",  # reversed
        "110/01-",  # open end: the seed cell cut by a page break
        "~111/4",
    ],
)
def test_parse_roc_period_rejects(text: str) -> None:
    with pytest.raises(RocDateError):
        parse_roc_period(text)


_months = st.tuples(st.integers(1, 200), st.integers(1, 12))


@given(_months, _months, st.sampled_from(["~", "-", " ~ ", "- ", "～", "至"]), st.booleans())
def test_parse_roc_period_round_trips(
    a: tuple[int, int], b: tuple[int, int], separator: str, pad: bool
) -> None:
    first, last = sorted([a, b])
    month = "{:02d}" if pad else "{}"
    text = f"{first[0]}/{month.format(first[1])}{separator}{last[0]}/{month.format(last[1])}"
    start, end = parse_roc_period(text)
    assert start <= end
    assert start == date(first[0] + 1911, first[1], 1)
    assert end == date(last[0] + 1911, last[1], 1)
    assert parse_roc_period(f"{format_roc_month(start)}~{format_roc_month(end)}") == (start, end)


@given(st.text())
def test_parse_roc_period_raises_only_roc_date_error(text: str) -> None:
    try:
        start, end = parse_roc_period(text)
    except RocDateError:
        return
    assert start <= end
    assert start.day == end.day == 1


_SCHEDULE_CELL = re.compile(r"[0-9]{2,3}\s*/\s*[0-9]")


def test_every_schedule_cell_of_the_seed_parses() -> None:
    """Every 起訖時程-like cell of the schedule tables parses, except the known page-break cut."""
    if not SEED.exists():
        pytest.skip(f"seed document not found at {SEED}")
    lines = SEED.read_text(encoding="utf-8").splitlines()[396:2195]
    cells = {
        cell.strip()
        for line in lines
        for cell in line.split("\t")
        # Period cells are short; long cells are prose that happens to hold a date.
        if _SCHEDULE_CELL.search(cell) and len(cell.strip()) < 80 and "資料來源" not in cell
    }
    assert len(cells) > 150
    failures = {}
    for cell in cells:
        try:
            start, end = parse_roc_period(cell)
        except RocDateError as exc:
            failures[cell] = str(exc)
            continue
        assert date(2017, 1, 1) <= start <= end <= date(2026, 12, 1), cell
    assert set(failures) == {"110/01-"}


# --- formatting ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("d", "month", "full", "zh"),
    [
        (date(2024, 12, 31), "113/12", "113/12/31", "113 年 12 月"),
        (date(2021, 5, 1), "110/5", "110/5/1", "110 年 5 月"),
        (date(1912, 1, 1), "1/1", "1/1/1", "1 年 1 月"),
    ],
)
def test_formatting(d: date, month: str, full: str, zh: str) -> None:
    assert format_roc_month(d) == month
    assert format_roc_date(d) == full
    assert format_roc_year_month_zh(d) == zh


def test_formatting_rejects_dates_before_the_roc_calendar() -> None:
    with pytest.raises(RocDateError):
        format_roc_month(date(1911, 12, 31))


# --- quarters -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("111Q2", (111, 2)),
        ("111q2", (111, 2)),
        ("2022Q2", (111, 2)),
        ("2021q4", (110, 4)),
        ("113Q1", (113, 1)),
        (" 110 Q 3 ", (110, 3)),
        ("１１１Ｑ２", (111, 2)),
        ("111 年第 2 季", (111, 2)),
        ("1Q1", (1, 1)),
    ],
)
def test_parse_quarter(text: str, expected: tuple[int, int]) -> None:
    assert parse_quarter(text) == expected


@pytest.mark.parametrize(
    "text", ["111Q5", "111Q0", "Q2", "111", "1911Q1", "0Q1", "111-Q2", "abc", "", "2022 Q2 x"]
)
def test_parse_quarter_rejects(text: str) -> None:
    with pytest.raises(RocDateError):
        parse_quarter(text)


@pytest.mark.parametrize(
    ("roc_year", "quarter", "first", "last"),
    [
        (111, 2, date(2022, 4, 1), date(2022, 6, 30)),
        (113, 1, date(2024, 1, 1), date(2024, 3, 31)),
        (112, 3, date(2023, 7, 1), date(2023, 9, 30)),
        (110, 4, date(2021, 10, 1), date(2021, 12, 31)),
    ],
)
def test_quarter_bounds(roc_year: int, quarter: int, first: date, last: date) -> None:
    assert quarter_bounds(roc_year, quarter) == (first, last)


def test_quarter_bounds_covers_a_leap_february() -> None:
    first, last = quarter_bounds(113, 1)  # 2024 is a leap year
    assert (last - first).days + 1 == 31 + 29 + 31


def test_format_quarter() -> None:
    assert format_quarter(111, 2) == "111Q2"
    assert format_quarter_zh(111, 2) == "111 年第 2 季"


@pytest.mark.parametrize(("roc_year", "quarter"), [(111, 0), (111, 5), (0, 1)])
def test_quarter_helpers_reject_invalid(roc_year: int, quarter: int) -> None:
    for helper in (format_quarter, format_quarter_zh, quarter_bounds):
        with pytest.raises(RocDateError):
            helper(roc_year, quarter)


@given(st.integers(1, 300), st.integers(1, 4))
def test_quarter_round_trips(roc_year: int, quarter: int) -> None:
    assert parse_quarter(format_quarter(roc_year, quarter)) == (roc_year, quarter)
    assert parse_quarter(format_quarter_zh(roc_year, quarter)) == (roc_year, quarter)
    assert parse_quarter(f"{roc_year + 1911}Q{quarter}") == (roc_year, quarter)
    first, last = quarter_bounds(roc_year, quarter)
    assert first <= last
    assert (first.month - 1) // 3 + 1 == quarter == (last.month - 1) // 3 + 1
