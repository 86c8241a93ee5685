"""The grade distribution of a year's evaluations, per industry and for the program (issue #20: "the
score distribution per industry"), for the pages and the annual report. Reads only what the caller
may see (``annual_policy.visible``), so the public gets the published grades alone."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from .models import AnnualEvaluation, GradeThreshold
from .policy import annual_policy
from .rules import mean


@dataclass
class GradeCounts:
    """One group (an industry, or the program): units graded per grade, and the mean final score."""

    key: str
    label: str
    counts: dict[str, int] = field(default_factory=dict)
    units: int = 0
    mean_score: Decimal | None = None


def distribution(
    rows: Iterable[tuple[str, str, str, Decimal | None]], grades: list[str]
) -> list[GradeCounts]:
    """``(industry code, industry name, grade, final score)`` rows → per-industry counts (in industry
    order) then the program's total (key ``""``); every grade of the year appears, zero included."""
    by_industry: dict[str, list[tuple[str, Decimal | None]]] = {}
    labels: dict[str, str] = {}
    for code, name, grade, score in rows:
        by_industry.setdefault(code, []).append((grade, score))
        labels[code] = name

    def group(key: str, label: str, items: list[tuple[str, Decimal | None]]) -> GradeCounts:
        counted = Counter(grade for grade, _score in items if grade)
        return GradeCounts(
            key=key,
            label=label,
            counts={grade: counted.get(grade, 0) for grade in grades},
            units=sum(counted.values()),
            mean_score=mean(score for grade, score in items if grade),
        )

    result = [group(code, labels[code], items) for code, items in sorted(by_industry.items())]
    result.append(group("", "", [item for items in by_industry.values() for item in items]))
    return result


def year_distribution(year: int, user=None) -> list[GradeCounts]:
    """The year's grade distribution among the evaluations ``user`` may read (graded ones count)."""
    grades = list(
        GradeThreshold.objects.filter(year=year).order_by("-min_score").values_list("label", flat=True)
    )
    queryset = annual_policy.visible(user, AnnualEvaluation.objects.filter(year=year).exclude(grade=""))
    rows = queryset.values_list("industry__code", "industry__name", "grade", "final_score")
    return distribution(rows, grades)
