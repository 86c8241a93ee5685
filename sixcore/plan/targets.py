"""Turn a KPI target text of the program document into a quantified target.

The 預期效益 table states targets as prose: 「累計推動 2~3 家國際級領導廠商在臺前瞻研究布局」,
「每年培育高階資安技術研發人才 200 人次」, 「113 年完成驗證實測 9 項」.  ``parse_target`` finds the
quantities (number + measure word), decides whether the figure is cumulative, per period, a level
or a milestone, and records why, so that a reviewer can check the reading against the text.

A *level* is a state to reach or hold — a rate, an efficiency, days or months of safety stock
(「光電轉換效率 ≥ 24%」, 「安全存量達到11天」, 「維持原料庫存至少1個月」). It is evaluated on the
latest reported value against the threshold and never summed or interpolated.

Not quantities: years and dates (``113 年``, ``110/12/31``, ``FY111``, ``2020-2025``), technology
names and model numbers (``5G``, ``B5G``, ``3GPP``, ``R16``, ``4K``, ``10MW``, ``28矽``, ``Wi-Fi 6``),
sizes and scales (``12 吋``, ``3 奈米``, ``2 量子位元``), section numbers and list markers
(``6.2.1``, ``1. ``) and ordinals (``第一顆``).  Only numbers followed by a measure word or money /
percent unit count.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "CUMULATIVE",
    "KINDS",
    "LEVEL",
    "MILESTONE",
    "PER_PERIOD",
    "SCOPES",
    "QuantifiedTarget",
    "Quantity",
    "parse_target",
]

CUMULATIVE = "cumulative"
PER_PERIOD = "per_period"
MILESTONE = "milestone"
LEVEL = "level"
KINDS = (CUMULATIVE, PER_PERIOD, LEVEL, MILESTONE)
SCOPES = ("full_term", "annual")

ROC_OFFSET = 1911


@dataclass(frozen=True)
class Quantity:
    """One number with its unit as found in a target text."""

    value: Decimal | None  # None for a range
    min: Decimal | None
    max: Decimal | None
    unit: str
    text: str  # the matched fragment

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "value": _json_number(self.value),
            "min": _json_number(self.min),
            "max": _json_number(self.max),
            "unit": self.unit,
            "text": self.text,
        }


@dataclass(frozen=True)
class QuantifiedTarget:
    """The reading of one target text: its kind, primary quantity and every quantity found."""

    kind: str  # "cumulative" | "per_period" | "level" | "milestone"
    value: Decimal | None
    min: Decimal | None
    max: Decimal | None
    unit: str  # "" for milestones
    by_year: int | None  # ROC year by which it is due, when the text says so
    basis: str  # short English reason for the kind
    components: tuple[Quantity, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: Decimals as int when integral else float."""
        return {
            "kind": self.kind,
            "value": _json_number(self.value),
            "min": _json_number(self.min),
            "max": _json_number(self.max),
            "unit": self.unit,
            "by_year": self.by_year,
            "basis": self.basis,
            "components": [c.to_dict() for c in self.components],
        }


def _json_number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value)


# --- vocabulary ---------------------------------------------------------------------------------

# Measure words and units used after numbers in the seed's KPI table (plus a few obvious
# neighbours).  A negative lookahead keeps a unit from eating the first character of a word
# (場域, 人才, 元件, 次世代, 天然氣 …).
_UNIT_PATTERNS: dict[str, str] = {
    "億美元": "",
    "萬美元": "",
    "美元": "",
    "億元": "",
    "萬元": "",
    "億度": "",
    "個月": "",
    "場次": "",
    "人次": "",
    "家次": "",
    "案次": "",
    "項次": "(?!世代|車)",
    "品項": "",
    "類別": "",
    "縣市": "",
    "案場": "",
    "公頃": "",
    "小時": "",
    "件": "",
    "項": "",
    "家": "(?!庭)",
    "案": "",
    "套": "",
    "處": "(?!理)",
    "個": "",
    "份": "",
    "場": "(?![域館址景所地])",
    "人": "(?![才員力工數口])",
    "位": "(?![元置於階])",
    "式": "(?![樣])",
    "所": "(?![屬需有得以在])",
    "座": "",
    "張": "",
    "款": "(?![項])",
    "種": "(?![子類])",
    "篇": "",
    "次": "(?![性世代車])",
    "天": "(?![然數])",
    "日": "(?![本期常])",
    "坪": "",
    "元": "(?![件素])",
    "億": "",
    "萬": "",
    "%": "",
    "筆": "",
    "例": "",
    "組": "(?![織成件裝])",
    "間": "(?![隔接])",
    "類": "(?![型似])",
    "名": "(?![單稱義])",
    "顆": "",
    "倍": "",
    "艘": "",
    "席": "",
    "週": "",
}
_UNIT_RE = "|".join(
    re.escape(unit) + guard for unit, guard in sorted(_UNIT_PATTERNS.items(), key=lambda item: -len(item[0]))
)

_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "兩": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_ARABIC = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,15})(?:\.[0-9]{1,6})?"
_ZH_NUMBER = r"[一二兩三四五六七八九十]{1,3}"
# Not after a Latin letter, digit, point or mask (model numbers), nor after characters that make a
# Chinese numeral part of a word (單一, 統一, 第三 …).
_NUMBER = (
    rf"(?:(?<![A-Za-z0-9.,#]){_ARABIC}"
    rf"|(?<![A-Za-z0-9.,#第單統唯逐同之其萬十一二兩三四五六七八九]){_ZH_NUMBER})"
)

_QUANTITY_RE = re.compile(
    r"(?P<pre>至少|最少|不少於|不低於|逾|超過|多於|≥|>=|≤|<=|不超過|最多)?\s*"
    rf"(?P<lo>{_NUMBER})"
    rf"(?:\s*(?:~|-|至|到)\s*(?P<hi>{_NUMBER}))?"
    r"\s*(?:\(含\))?\s*(?P<mid>以上)?\s*"
    rf"(?P<unit>{_UNIT_RE})"
    r"(?:\s*\(含\))?(?:\s*(?P<post>以上|以下|以內))?"
)

_AT_LEAST = {"至少", "最少", "不少於", "不低於", "逾", "超過", "多於", "≥", ">="}
_AT_MOST = {"≤", "<=", "不超過", "最多"}

# Spans that look numeric but are not counts; they are blanked out (same length) before the
# quantity search so offsets stay aligned with the normalised text.
_MASKS = [
    re.compile(r"[0-9]{1,4}\s*/\s*[0-9]{1,2}(?:\s*/\s*[0-9]{1,2})?"),  # 110/12/31, 2019/11
    re.compile(r"[0-9]{1,4}\s*[~\-至到]\s*[0-9]{1,4}\s*年"),  # 110~114 年
    re.compile(r"(?:19|20)[0-9]{2}\s*[~\-]\s*(?:19|20)[0-9]{2}(?![0-9])"),  # 2020-2025
    re.compile(r"[0-9]{1,4}\s*年(?:\s*[0-9]{1,2}\s*月(?:\s*[0-9]{1,2}\s*日)?)?"),  # 113 年 12 月
    re.compile(r"[0-9]{1,2}\s*月(?:\s*[0-9]{1,2}\s*日)?"),  # 6 月底, 2 月 6 日
    re.compile(r"[0-9]+(?:\.[0-9]+){2,}"),  # section numbers 6.2.1
    re.compile(r"[A-Za-z][A-Za-z0-9\-]*[0-9][A-Za-z0-9]*"),  # B5G, R16, FY111, ISO27001
    re.compile(r"[0-9]+(?:\.[0-9]+)?[A-Za-z]+"),  # 5G, 3GPP, 4K, 10MW, 20GHz, 1.6eV
    re.compile(r"第\s*(?:[0-9]+|[一二兩三四五六七八九十]+)"),  # ordinals 第一顆, 第2席
]

# Not 全程: in 全程冷鏈 it means "end-to-end", and 全程累計 already holds 累計.  全案 ("the whole
# project", 5.1.2 「完成全案造地 17.7 公頃」) is the total to date.
_CUMULATIVE_WORDS = ("累計", "累積", "共計", "合計", "總計", "全案")
_PER_PERIOD_WORDS = ("每半年", "每年", "每季", "每月", "每週", "年均")
# Words that make a figure a state to reach or hold, when its unit is one a level is measured in
# (a percent, days or months of stock, a multiple).  「效率 ≥ 24%」, 「達成率 100 %」, 「安全存量
# 達到11天」, 「維持原料庫存至少1個月」.  A count (件, 家 …) is never a level, whatever the words.
_LEVEL_WORDS = ("效率", "達成率", "比率", "比例", "占比", "佔比", "存量", "庫存", "儲備量", "維持", "率")
_LEVEL_UNITS = frozenset({"%", "天", "個月", "倍"})
_KEYWORD_RE = re.compile("|".join(_CUMULATIVE_WORDS + _PER_PERIOD_WORDS + _LEVEL_WORDS))
# "至 113 年", "迄 114 年", "113 年前", "113 年 12 月前", "113 年底前": a whole-program total.
_DEADLINE_RE = re.compile(
    r"(?:至|迄)\s*1[0-9]{2}\s*年"
    r"|1[0-9]{2}\s*年\s*(?:[0-9]{1,2}\s*月\s*)?(?:底\s*)?(?:以前|前|止)"
)

_BY_YEAR_RE = re.compile(
    r"(?<![0-9A-Za-z])(?:"
    r"1[0-9]{2}\s*[~\-至到]\s*(?P<roc_range_end>1[0-9]{2})\s*年"
    r"|(?:19|20)[0-9]{2}\s*[~\-]\s*(?P<greg_range_end>(?:19|20)[0-9]{2})(?![0-9])"
    r"|(?P<roc>1[0-9]{2})\s*年"
    r"|(?P<greg>(?:19|20)[0-9]{2})\s*年"
    r"|(?P<roc_date>1[0-9]{2})\s*/\s*[0-9]{1,2}(?:\s*/\s*[0-9]{1,2})?\s*(?:以前|前)"
    r")"
)

_NO_TARGET_RE = re.compile(r"[\s\-~.。、/]*")
_CODE_PREFIX_RE = re.compile(r"^\s*[0-9]+\.[0-9]+\.[0-9]+\s*")  # KPI code such as 1.2.2
_CJK = "\u3400-\u9fff\uf900-\ufaff"
_CJK_GAP_RE = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_TRANSLATE = str.maketrans({"〜": "~", "–": "-", "—": "-", "―": "-", "−": "-", "─": "-",
                            "≧": "≥", "≦": "≤"})  # fmt: skip


def _normalize(text: str) -> str:
    """Fold the PDF-conversion noise out of a cell text."""
    # Footnote markers (<sup>10</sup>) would otherwise read as numbers.
    text = re.sub(r"<sup>.*?</sup>", " ", text, flags=re.IGNORECASE | re.DOTALL)
    # A tag starts with a letter or "/": "<=0億美元" or "< 5 件" is a comparison, not markup.
    text = re.sub(r"</?[A-Za-z][^>]*>", " ", text)
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    # LaTeX fragments such as "$\geq 24\%$".
    text = text.replace("\\geq", "≥").replace("\\leq", "≤").replace("\\%", "%").replace("$", " ")
    text = re.sub(r"\\text\{([^}]*)\}", r"\1", text)
    # Narrow table columns wrap words with spaces between CJK characters ("至 少 3 項").
    text = _CJK_GAP_RE.sub("", text)
    return re.sub(r"\s+", " ", text).strip()


def _mask(text: str) -> str:
    for pattern in _MASKS:
        text = pattern.sub(lambda m: "#" * len(m.group(0)), text)
    return text


def _to_decimal(raw: str) -> Decimal:
    """Arabic (with thousands separators) or small Chinese numerals."""
    if raw[0] in "0123456789":
        return Decimal(raw.replace(",", ""))
    if "十" in raw:
        tens, _, units = raw.partition("十")
        return Decimal(_ZH_DIGITS.get(tens, 1) * 10 + _ZH_DIGITS.get(units, 0))
    return Decimal("".join(str(_ZH_DIGITS[ch]) for ch in raw))


def _find_quantities(normalized: str) -> list[tuple[int, Quantity]]:
    """Every quantity with its offset in the normalised text, in order."""
    masked = _mask(normalized)
    found: list[tuple[int, Quantity]] = []
    for match in _QUANTITY_RE.finditer(masked):
        try:
            low = _to_decimal(match.group("lo"))
            high = _to_decimal(match.group("hi")) if match.group("hi") else None
        except (InvalidOperation, KeyError):  # e.g. a malformed Chinese numeral like 十十
            continue
        pre = match.group("pre")
        post = match.group("post")
        if high is not None:
            low, high = min(low, high), max(low, high)
            quantity = Quantity(None, low, high, match.group("unit"), "")
        elif pre in _AT_LEAST or match.group("mid") or post == "以上":
            quantity = Quantity(low, low, None, match.group("unit"), "")
        elif pre in _AT_MOST or post in ("以下", "以內"):
            quantity = Quantity(low, None, low, match.group("unit"), "")
        else:
            quantity = Quantity(low, low, low, match.group("unit"), "")
        start, end = match.span()
        fragment = normalized[start:end]
        offset = start + len(fragment) - len(fragment.lstrip())
        found.append((offset, replace(quantity, text=fragment.strip())))
    return found


def _by_year(normalized: str) -> int | None:
    match = _BY_YEAR_RE.search(normalized)
    if match is None:
        return None
    for group in ("roc_range_end", "roc", "roc_date"):
        if match.group(group):
            return int(match.group(group))
    greg = match.group("greg_range_end") or match.group("greg")
    return int(greg) - ROC_OFFSET


def _keyword_kind(normalized: str, anchor: int, scope: str, unit: str = "") -> tuple[str, str] | None:
    """Kind decided by the wording: the keyword nearest before the primary quantity wins.

    A keyword after the primary quantity belongs to a later clause ("補助 … 3-5 家，維運 … 累計
    5 間"), so it does not decide.  A deadline ("113 年前", "迄 114 年") marks a whole-program total
    only in a full-term text; in an annual cell it is just that year's due date.  A level word
    (效率, 存量, 維持 …) counts only when the quantity's ``unit`` is one a level is measured in:
    「定期每月盤點 …，並維持原料庫存至少1個月」 is a level (維持 is nearer than 每月).
    """
    hits = [
        (m.start(), m.group(0))
        for m in _KEYWORD_RE.finditer(normalized, 0, anchor)
        if m.group(0) not in _LEVEL_WORDS or unit in _LEVEL_UNITS
    ]
    if scope == "full_term":
        hits += [(m.start(), "至…年") for m in _DEADLINE_RE.finditer(normalized, 0, anchor)]
    if not hits:
        return None
    _, word = max(hits)
    if word in _LEVEL_WORDS:
        return LEVEL, f"keyword {word}"
    kind = PER_PERIOD if word in _PER_PERIOD_WORDS else CUMULATIVE
    return kind, f"keyword {word}"


def parse_target(text: str, scope: str = "annual") -> QuantifiedTarget | None:
    """Read a target text as a quantified target, or None when it means "no target" (``-``, blank).

    ``scope`` is ``"full_term"`` (全期目標) or ``"annual"`` (分年目標).  The wording decides the kind
    (累計/累積/共計/合計/全案, 至 N 年 → cumulative; 每年/每季/每月/每半年/年均 → per_period;
    效率/達成率/存量/庫存/維持 … before a percent, days or months → level); without such
    a word a full-term quantity is the whole-program total (cumulative) and an annual quantity is
    that year's own amount (per_period).  A text without a quantity is a milestone.
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, not {scope!r}")
    normalized = _normalize(text)
    if _NO_TARGET_RE.fullmatch(normalized):
        return None
    normalized = _CODE_PREFIX_RE.sub("", normalized)
    by_year = _by_year(normalized)
    found = _find_quantities(normalized)
    if not found:
        return QuantifiedTarget(MILESTONE, None, None, None, "", by_year, "no quantity", ())
    anchor, primary = found[0]
    decided = _keyword_kind(normalized, anchor, scope, primary.unit)
    if decided is None:
        decided = (
            (CUMULATIVE, "full-term default") if scope == "full_term"
            else (PER_PERIOD, "annual default")
        )  # fmt: skip
    kind, basis = decided
    return QuantifiedTarget(
        kind=kind,
        value=primary.value,
        min=primary.min,
        max=primary.max,
        unit=primary.unit,
        by_year=by_year,
        basis=basis,
        components=tuple(quantity for _, quantity in found),
    )
