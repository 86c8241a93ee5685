"""Forecast: a least-squares year-end forecast of a KPI from its reported series."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from sixcore.plan.targets import CUMULATIVE, KINDS, LEVEL, MILESTONE

from .thresholds import (
    RATIO_PLACES,
    Number,
    Period,
    _dec,
    _round,
    period_index,
)


def _series(
    points: Iterable[tuple[Period, Number | None]] | Mapping[Period, Number | None],
) -> list[tuple[int, Period, Decimal]]:
    pairs = points.items() if isinstance(points, Mapping) else points
    seen: dict[int, Period] = {}
    result: list[tuple[int, Period, Decimal]] = []
    for period, raw in pairs:
        roc_year, quarter = period
        index = period_index(roc_year, quarter)
        if index in seen:
            raise ValueError(f"period {roc_year}Q{quarter} given twice")
        seen[index] = (roc_year, quarter)
        value = _dec(raw, "value")
        if value is not None:
            result.append((index, (roc_year, quarter), value))
    result.sort(key=lambda item: item[0])
    return result


def linear_forecast(
    points: Iterable[tuple[Period, Number | None]] | Mapping[Period, Number | None],
    at: Period,
) -> Decimal | None:
    """Least-squares line through ``((roc_year, quarter), value)`` points (x = ``period_index``),
    evaluated at period ``at``; 4 places.  Points with value None are skipped; fewer than 2 points
    → None; a period given twice → ValueError.
    """
    series = _series(points)
    if len(series) < 2:
        return None
    x0 = series[0][0]
    xs = [Decimal(index - x0) for index, _, _ in series]
    ys = [value for _, _, value in series]
    n = Decimal(len(series))
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    x_at = Decimal(period_index(*at) - x0)
    return _round(mean_y + slope * (x_at - mean_x), RATIO_PLACES)


def forecast_year_end(
    points: Iterable[tuple[Period, Number | None]] | Mapping[Period, Number | None],
    kind: str = CUMULATIVE,
    roc_year: int | None = None,
) -> Decimal | None:
    """Linear year-end (Q4) forecast of a KPI from its reported series.

    ``roc_year`` defaults to the year of the latest point.  cumulative: least squares over every
    point up to that year's Q4; level likewise (a rate or a stock carries over the year end).  per_period: least squares over that year's points only (the
    year-to-date value restarts every year).  milestone: None.  Fewer than 2 usable points → None.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    if kind == MILESTONE:
        return None
    series = _series(points)
    if not series:
        return None
    year = roc_year if roc_year is not None else series[-1][1][0]
    end = period_index(year, 4)
    if kind in (CUMULATIVE, LEVEL):
        usable = [(period, value) for index, period, value in series if index <= end]
    else:
        usable = [(period, value) for _, period, value in series if period[0] == year]
    return linear_forecast(usable, (year, 4))
