"""The annual evaluation report as plain data: no ORM and no document format here, so the five formats
render the same figures and the tests can build one by hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sixcore.annual.rules import score_text


@dataclass
class IndicatorRow:
    """One indicator of one unit: the figure it was pre-filled from and the score of each stage."""

    code: str
    name: str
    weight: Decimal
    figure: str  # the pre-filled figure as read (達成率 92.5%), "" when the indicator has none
    self_score: Decimal | None
    first_score: Decimal | None
    review_score: Decimal | None
    argued_score: Decimal | None = None
    argued_reason: str = ""
    narrative: str = ""


@dataclass
class StageComment:
    stage: str  # 自評, 初核, 複核, 核定 …
    author: str
    date: str  # ROC date
    text: str


@dataclass
class UnitPage:
    """One reporting unit (year, industry, agency)."""

    industry_code: str
    industry: str
    agency: str
    status: str
    score: Decimal | None
    grade: str
    indicators: list[IndicatorRow] = field(default_factory=list)
    comments: list[StageComment] = field(default_factory=list)
    improvements: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.industry}／{self.agency}"


@dataclass
class Distribution:
    """Grades counted over a set of units (one industry, or the whole program)."""

    key: str
    label: str
    counts: dict[str, int]
    units: int
    average: Decimal | None


@dataclass
class AnnualReport:
    year: int
    title: str
    program_name: str
    generated_text: str
    scope_text: str
    is_demo: bool
    grades: list[tuple[str, Decimal]]  # (grade, lowest score), highest first
    units: list[UnitPage]
    by_industry: list[Distribution]
    program: Distribution

    @property
    def grade_names(self) -> list[str]:
        return [grade for grade, _floor in self.grades]

    def thresholds_text(self) -> str:
        parts = []
        upper = None
        for grade, floor in self.grades:
            if upper is None:
                bound = f"{score_text(floor)} 分以上"
            elif not floor:
                bound = f"未達 {score_text(upper)} 分"
            else:
                bound = f"{score_text(floor)} 分以上未達 {score_text(upper)} 分"
            parts.append(f"{grade}：{bound}")
            upper = floor
        return "；".join(parts)
