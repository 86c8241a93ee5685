"""Data quality: 管考-style checks of a work-item report and of a KPI's reported series."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext

from sixcore.plan.targets import CUMULATIVE

from .forecast import _series
from .thresholds import (
    DEFAULT_THRESHOLDS,
    HUNDRED,
    ZERO,
    Number,
    Period,
    Thresholds,
    _dec,
)

LAG_WITHOUT_REASON = "lag_without_reason"
REASON_WITHOUT_LAG = "reason_without_lag"
DONE_WITHOUT_DATE = "done_without_date"
IMPLAUSIBLE_ACTUAL = "implausible_actual"
CUMULATIVE_DECREASE = "cumulative_decrease"
FLAG_LABELS: dict[str, str] = {
    LAG_WITHOUT_REASON: "進度落後未填落後原因",
    REASON_WITHOUT_LAG: "進度未落後卻填有落後原因",
    DONE_WITHOUT_DATE: "已完成 100% 未填完成日期",
    IMPLAUSIBLE_ACTUAL: "實際值超過累計目標終值不合理倍數",
    CUMULATIVE_DECREASE: "累計實際值較前期減少",
}


@dataclass(frozen=True)
class QualityFlag:
    """A data-quality finding on a report: ``code`` (``LAG_WITHOUT_REASON`` …), item ref, message."""

    code: str
    ref: str
    message: str


def work_item_flags(
    ref: str,
    lag: Number | None,
    reported_percent: Number | None,
    lag_reason: str | None,
    completion_date: date | None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> tuple[QualityFlag, ...]:
    """管考-style checks of a work-item report.

    * lagging (lag > ``lag_reason_above``, default 0 points) with a blank 落後原因 → ``LAG_WITHOUT_REASON``;
    * on schedule or ahead (lag ≤ 0) with a 落後原因 → ``REASON_WITHOUT_LAG``;
    * reported ≥ 100 % without a completion date → ``DONE_WITHOUT_DATE``.
    A missing lag (no report) triggers neither lag check; a reason of only spaces counts as blank.
    """
    flags: list[QualityFlag] = []
    lag_value = _dec(lag, "lag")
    has_reason = bool(lag_reason and lag_reason.strip())
    if lag_value is not None:
        if lag_value > thresholds.lag_reason_above and not has_reason:
            flags.append(
                QualityFlag(
                    LAG_WITHOUT_REASON,
                    ref,
                    gettext("behind by %(lag)s points without a reason for the lag (落後原因)")
                    % {"lag": lag_value},
                )
            )
        if lag_value <= ZERO and has_reason:
            flags.append(
                QualityFlag(
                    REASON_WITHOUT_LAG,
                    ref,
                    gettext("lag %(lag)s points but a reason for the lag (落後原因) is given")
                    % {"lag": lag_value},
                )
            )
    reported = _dec(reported_percent, "reported_percent")
    if reported is not None and reported >= HUNDRED and completion_date is None:
        flags.append(
            # xgettext:no-python-format
            QualityFlag(DONE_WITHOUT_DATE, ref, gettext("reported 100% done without a completion date"))
        )
    return tuple(flags)


def kpi_flags(
    ref: str,
    series: Iterable[tuple[Period, Number | None]] | Mapping[Period, Number | None],
    final_target: Number | None,
    kind: str = CUMULATIVE,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> tuple[QualityFlag, ...]:
    """管考-style checks of a KPI's reported series (cumulative KPIs only; other kinds → no flags).

    * a value above ``implausible_factor`` (3) × the final cumulative target (see
      ``final_cumulative_target``) → one ``IMPLAUSIBLE_ACTUAL`` with the largest such value
      (skipped when the final target is None or ≤ 0);
    * a value below the previous reported value → ``CUMULATIVE_DECREASE`` for each drop.
    """
    if kind != CUMULATIVE:
        return ()
    points = _series(series)
    flags: list[QualityFlag] = []
    final = _dec(final_target, "final_target")
    if final is not None and final > ZERO:
        limit = final * thresholds.implausible_factor
        over = [(value, period) for _, period, value in points if value > limit]
        if over:
            value, period = max(over, key=lambda item: item[0])
            flags.append(
                QualityFlag(
                    IMPLAUSIBLE_ACTUAL,
                    ref,
                    gettext("%(period)s actual %(value)s exceeds %(factor)s× the final target %(final)s")
                    % {
                        "period": f"{period[0]}Q{period[1]}",
                        "value": value,
                        "factor": thresholds.implausible_factor,
                        "final": final,
                    },
                )
            )
    for (_, before, previous), (_, after, value) in zip(points, points[1:], strict=False):
        if value < previous:
            flags.append(
                QualityFlag(
                    CUMULATIVE_DECREASE,
                    ref,
                    gettext("cumulative actual fell from %(previous)s (%(before)s) to %(value)s (%(after)s)")
                    % {
                        "previous": previous,
                        "before": f"{before[0]}Q{before[1]}",
                        "value": value,
                        "after": f"{after[0]}Q{after[1]}",
                    },
                )
            )
    return tuple(flags)
