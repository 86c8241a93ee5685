"""ROC (民國) calendar helpers.

The program document writes dates in the ROC calendar (ROC year + 1911 = Gregorian year):
``110/5`` is May 2021, ``110/5~111/4`` a schedule period, ``111Q2`` a reporting quarter.
The system stores ISO dates and shows ROC text; these helpers convert between the two.

Survey of the 起訖時程 cells in the seed (lines 397-2195): every cell parses, with two caveats.

* ``110/01-`` (work item 2.2.4 of schedule 4-9, seed line 1415) is cut by a page break; its end
  ``112/12`` sits on line 1418.  The fragment alone raises ``RocDateError`` (open-ended range);
  joined as ``110/01- 112/12`` it parses to 2021-01 … 2023-12.
* ``<b>第二期</b> 受理申請 111/1-111/6 執行期程`` (line 452) loses its 執行期程 ``111/7-113/12`` to
  the next page (line 457).  The fragment parses to 2022-01 … 2022-06, the joined text to
  2022-01 … 2024-12.

All other forms seen parse: ``Y/M~Y/M``, ``Y/M-Y/M``, zero-padded months (``109/07- 110/03``),
spaces around the dash, cells wrapped in ``<p>`` or holding several ranges
(``110/1-110/12 111/1-113/12``, ``第一期 受理申請 109/9-109/12 執行期程 110/1-111/12``),
a lone month (``112/12``) and year ranges (``110~114 年``).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from django.utils.translation import pgettext

__all__ = [
    "ROC_OFFSET",
    "RocDateError",
    "format_quarter",
    "format_quarter_zh",
    "format_roc_date",
    "format_roc_month",
    "format_roc_year_month_zh",
    "gregorian_to_roc",
    "parse_quarter",
    "parse_roc_month",
    "parse_roc_period",
    "quarter_bounds",
    "roc_to_gregorian",
]

ROC_OFFSET = 1911
# date() cannot go past 9999, so the largest ROC year is 9999 - 1911.
_MAX_ROC_YEAR = 9999 - ROC_OFFSET


class RocDateError(ValueError):
    """A text or number that is not a valid ROC date, period or quarter."""

    def __init__(self, text: object, reason: str = "not a valid ROC date") -> None:
        self.text = text
        self.reason = reason
        super().__init__(f"{reason}: {text!r}")


def roc_to_gregorian(roc_year: int) -> int:
    """Return the Gregorian year of ROC year ``roc_year`` (110 → 2021)."""
    if not 1 <= roc_year <= _MAX_ROC_YEAR:
        raise RocDateError(roc_year, "ROC year out of range")
    return roc_year + ROC_OFFSET


def gregorian_to_roc(year: int) -> int:
    """Return the ROC year of Gregorian ``year`` (2021 → 110); the ROC calendar starts in 1912."""
    if not ROC_OFFSET + 1 <= year <= 9999:
        raise RocDateError(year, "year before the ROC calendar or out of range")
    return year - ROC_OFFSET


# --- text normalisation -------------------------------------------------------------------------

_TAG_RE = re.compile(r"</?[A-Za-z][^>]*>")  # not "<=" or "< 5": a tag starts with a letter or "/"
# Dash-like characters NFKC leaves alone but the document (or a typist) may use as range separator.
_DASH_TRANS = str.maketrans({"〜": "~", "–": "-", "—": "-", "―": "-", "−": "-", "─": "-"})


def _normalize(text: str) -> str:
    """Fold full-width characters to ASCII, drop HTML tags and unify dashes."""
    text = unicodedata.normalize("NFKC", _TAG_RE.sub(" ", text))
    return text.translate(_DASH_TRANS)


def _make_date(text: str, roc_year: int, month: int, day: int = 1) -> date:
    """Build a date from ROC parts, turning any invalid part into RocDateError."""
    if roc_year < 1:
        raise RocDateError(text, "ROC year must be at least 1")
    if not 1 <= month <= 12:
        raise RocDateError(text, f"month {month} out of range")
    try:
        return date(roc_to_gregorian(roc_year), month, day)
    except ValueError as exc:  # day out of range for the month, year past 9999
        raise RocDateError(text, f"invalid date ({exc})") from exc


# --- single dates -------------------------------------------------------------------------------

# [0-9] rather than \d: \d matches other scripts' digits, which NFKC does not fold.
_SLASH_DATE = r"(?P<{p}y>[0-9]{{1,3}})\s*/\s*(?P<{p}m>[0-9]{{1,2}})(?:\s*/\s*(?P<{p}d>[0-9]{{1,2}}))?"
_ZH_DATE = r"(?P<{p}y>[0-9]{{1,3}})\s*年\s*(?P<{p}m>[0-9]{{1,2}})\s*月(?:\s*(?P<{p}d>[0-9]{{1,2}})\s*日)?"
_MONTH_RE = re.compile(
    rf"(?:{_SLASH_DATE.format(p='s')}|{_ZH_DATE.format(p='z')})",
)


def parse_roc_month(text: str) -> date:
    """Parse one ROC date: ``110/5`` → 2021-05-01, ``113/12/31`` → 2024-12-31.

    Also accepts ``110 年 5 月`` / ``110年5月31日``, full-width digits and spaces.  Without a day the
    first of the month is returned.  Raises RocDateError for anything else.
    """
    if not isinstance(text, str):
        raise RocDateError(text, "expected a string")
    match = _MONTH_RE.fullmatch(_normalize(text).strip())
    if match is None:
        raise RocDateError(text, "not an ROC date like 110/5 or 113/12/31")
    year = match.group("sy") or match.group("zy")
    month = match.group("sm") or match.group("zm")
    day = match.group("sd") or match.group("zd")
    return _make_date(text, int(year), int(month), int(day) if day else 1)


# --- periods ------------------------------------------------------------------------------------

_SEPARATORS = r"~\-至到"  # escaped: a bare "~-至" would be a character range
_PERIOD_TOKEN_RE = re.compile(
    # Order matters: a full 年…月 date before a bare year, a year range before a single year.
    r"(?<![0-9/.])(?:"
    rf"{_ZH_DATE.format(p='z')}"
    rf"|{_SLASH_DATE.format(p='s')}"
    r"|(?P<ry1>[0-9]{1,3})\s*[~\-至到]\s*(?P<ry2>[0-9]{1,3})\s*年(?!\s*[0-9]{1,2}\s*月)"
    r"|(?P<yy>[0-9]{1,3})\s*年(?!\s*[0-9]{1,2}\s*月)"
    r")(?![0-9/])"
)
_SEPARATOR_ONLY_RE = re.compile(rf"\s*[{_SEPARATORS}]\s*")


@dataclass(frozen=True)
class _Span:
    """One date-like token of a period text, as a month span."""

    start: date
    end: date
    begin: int  # offsets in the normalised text
    stop: int


def _first_of_month(d: date) -> date:
    return d.replace(day=1)


def _token_span(text: str, match: re.Match[str]) -> _Span:
    """Turn one token into the months it covers (a year covers January to December)."""
    groups = match.groupdict()
    if groups["ry1"] is not None:
        first, last = int(groups["ry1"]), int(groups["ry2"])
        start, end = _make_date(text, first, 1), _make_date(text, last, 12)
        if start > end:
            raise RocDateError(text, "period ends before it starts")
    elif groups["yy"] is not None:
        year = int(groups["yy"])
        start, end = _make_date(text, year, 1), _make_date(text, year, 12)
    else:
        year = groups["sy"] or groups["zy"]
        month = groups["sm"] or groups["zm"]
        day = groups["sd"] or groups["zd"]
        start = end = _first_of_month(_make_date(text, int(year), int(month), int(day) if day else 1))
    return _Span(start, end, match.start(), match.end())


def parse_roc_period(text: str) -> tuple[date, date]:
    """Parse a 起訖時程 text into (start, end), both the first day of their month.

    ``110/5~111/4`` → (2021-05-01, 2022-04-01); ``110~114 年`` → (2021-01-01, 2025-12-01);
    ``110 年`` → (2021-01-01, 2021-12-01); a lone date (``112/12``, ``110/12/31 前``) is a one-month
    period.  A text holding several ranges gives the earliest start and the latest end.
    Raises RocDateError for a text without a date, a reversed range or an open-ended range
    (``110/01-``, a cell cut by a page break).
    """
    if not isinstance(text, str):
        raise RocDateError(text, "expected a string")
    normalized = _normalize(text)
    spans = [_token_span(text, m) for m in _PERIOD_TOKEN_RE.finditer(normalized)]
    if not spans:
        raise RocDateError(text, "no ROC date or period found")
    for left, right in zip(spans, spans[1:], strict=False):
        gap = normalized[left.stop : right.begin]
        if _SEPARATOR_ONLY_RE.fullmatch(gap) and left.start > right.end:
            raise RocDateError(text, "period ends before it starts")
    # A dangling separator means the end (or start) is missing, usually cut by a page break.
    if _SEPARATOR_ONLY_RE.fullmatch(normalized[spans[-1].stop :].rstrip() or "x"):
        raise RocDateError(text, "open-ended period (end missing)")
    if _SEPARATOR_ONLY_RE.fullmatch(normalized[: spans[0].begin].lstrip() or "x"):
        raise RocDateError(text, "open-ended period (start missing)")
    return min(s.start for s in spans), max(s.end for s in spans)


# --- formatting ---------------------------------------------------------------------------------


def format_roc_month(d: date) -> str:
    """Format a date as ROC year/month: 2024-12-31 → ``113/12``."""
    return f"{gregorian_to_roc(d.year)}/{d.month}"


def format_roc_date(d: date) -> str:
    """Format a date as ROC year/month/day: 2024-12-31 → ``113/12/31``."""
    return f"{gregorian_to_roc(d.year)}/{d.month}/{d.day}"


def format_roc_year_month_zh(d: date) -> str:
    """A date's ROC year and month as people read it: 2024-12-31 → ``113 年 12 月`` (through the
    catalogue, like every label a person reads; nothing parses it back)."""
    return pgettext("ROC year and month", "%(month)s/%(year)s (ROC)") % {
        "year": gregorian_to_roc(d.year),
        "month": d.month,
    }


# --- quarters (the 按季檢核 reporting cycle) ---------------------------------------------------

_QUARTER_RE = re.compile(
    r"(?P<y>[0-9]{1,4})\s*(?:"
    r"[Qq]\s*(?P<q>[1-4])"
    r"|年\s*第\s*(?P<zq>[1-4一二三四])\s*季"
    r")"
)
_ZH_QUARTER = {"一": 1, "二": 2, "三": 3, "四": 4}


def _check_quarter(roc_year: int, quarter: int) -> None:
    if not 1 <= roc_year <= _MAX_ROC_YEAR:
        raise RocDateError(f"{roc_year}Q{quarter}", "ROC year out of range")
    if not 1 <= quarter <= 4:
        raise RocDateError(f"{roc_year}Q{quarter}", "quarter must be 1-4")


def parse_quarter(text: str) -> tuple[int, int]:
    """Parse a reporting quarter into (roc_year, quarter).

    ``111Q2`` (ROC, canonical) and ``2022Q2`` (a 4-digit year is Gregorian) both give (111, 2);
    case-insensitive; ``111 年第 2 季`` is accepted too.  Raises RocDateError otherwise.
    """
    if not isinstance(text, str):
        raise RocDateError(text, "expected a string")
    match = _QUARTER_RE.fullmatch(_normalize(text).strip())
    if match is None:
        raise RocDateError(text, "not a quarter like 111Q2 or 2022Q2")
    digits = match.group("y")
    year = int(digits)
    roc_year = gregorian_to_roc(year) if len(digits) == 4 else year
    raw_quarter = match.group("q") or match.group("zq")
    quarter = _ZH_QUARTER.get(raw_quarter) or int(raw_quarter)
    if roc_year < 1:
        raise RocDateError(text, "ROC year must be at least 1")
    _check_quarter(roc_year, quarter)
    return roc_year, quarter


def format_quarter(roc_year: int, quarter: int) -> str:
    """Canonical quarter code: (111, 2) → ``111Q2``."""
    _check_quarter(roc_year, quarter)
    return f"{roc_year}Q{quarter}"


def format_quarter_zh(roc_year: int, quarter: int) -> str:
    """Quarter label as people read it: (111, 2) → ``111 年第 2 季`` (through the catalogue, like every
    label a person reads; data files carry the code ``111Q2``, which ``parse_quarter`` reads back)."""
    _check_quarter(roc_year, quarter)
    return pgettext("ROC quarter", "Q%(quarter)s %(year)s (ROC)") % {"year": roc_year, "quarter": quarter}


def quarter_bounds(roc_year: int, quarter: int) -> tuple[date, date]:
    """First and last day of an ROC quarter: (111, 2) → (2022-04-01, 2022-06-30)."""
    _check_quarter(roc_year, quarter)
    year = roc_to_gregorian(roc_year)
    first_month, last_month = 3 * quarter - 2, 3 * quarter
    last_day = calendar.monthrange(year, last_month)[1]
    return date(year, first_month, 1), date(year, last_month, last_day)
