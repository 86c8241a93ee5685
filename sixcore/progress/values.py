"""The values a report line accepts: each field's parser, shared by the web form, the API and the
workbook so that one typed value is read the same way wherever it comes from (services.save_lines)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from sixcore.core.dates import check_range
from sixcore.core.roc import RocDateError, parse_roc_month

from .choices import BudgetUnit, WorkItemStatus

# The fields each kind of line accepts, with their parser.
# Report columns are DECIMAL(16, 4) (percent: 5, 2): at most 12 digits before the point. A larger value
# would fail the write on PostgreSQL and be stored unreadably on SQLite, so it is refused here.
MAX_WHOLE_DIGITS = 12


def _decimal(value: Any, *, low: Decimal | None = None, high: Decimal | None = None) -> Decimal | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValueError(_("not a number: %(value)s") % {"value": value})
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except ArithmeticError:
        raise ValueError(_("not a number: %(value)s") % {"value": value}) from None
    if not number.is_finite():
        raise ValueError(_("not a number: %(value)s") % {"value": value})
    if number != 0 and number.adjusted() >= MAX_WHOLE_DIGITS:
        raise ValueError(_("too large: at most %(n)s digits before the point") % {"n": MAX_WHOLE_DIGITS})
    number = number.quantize(Decimal("0.0001")) if number.as_tuple().exponent < -4 else number
    if low is not None and number < low:
        raise ValueError(_("must be at least %(low)s") % {"low": low})
    if high is not None and number > high:
        raise ValueError(_("must be at most %(high)s") % {"high": high})
    return number


def _bool(value: Any) -> bool | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "y", "是", "完成", "done", "v"}:
        return True
    if text in {"0", "false", "no", "n", "否", "未完成", "not done", "x"}:
        return False
    raise ValueError(_("must be done / not done (是/否)"))


_CHOICE_VALUES: dict[type, frozenset[str]] = {}  # ``choices.values`` builds a list on every access


def _choice(choices: type, value: Any) -> str:
    if value in (None, ""):
        return ""
    values = _CHOICE_VALUES.get(choices)
    if values is None:
        values = _CHOICE_VALUES[choices] = frozenset(choices.values)
    if isinstance(value, str) and value in values:
        return value  # the common case, without translating every label
    for choice_value, label in choices.choices:
        if value in (choice_value, str(label)):
            return choice_value
    raise ValueError(_("unknown value %(value)s") % {"value": value})


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return check_range(value)
    text = str(value).strip()
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        try:
            parsed = parse_roc_month(text)
        except RocDateError:
            raise ValueError(
                _("not a date (113/12/31 or 2024-12-31): %(value)s") % {"value": value}
            ) from None
    return check_range(parsed)  # before any arithmetic (core/dates.py)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


LINE_FIELDS = {
    "measures": {"progress": _text, "highlights": _text, "next_quarter": _text},
    "kpis": {"value": _decimal, "done": _bool, "evidence": _text, "note": _text},
    "work_items": {
        "percent": lambda v: _decimal(v, low=Decimal(0), high=Decimal(100)),
        "status": lambda v: _choice(WorkItemStatus, v),
        "lag_reason": _text,
        "remedy": _text,
        "completed_on": _date,
    },
    "budget": {
        "unit": lambda v: _choice(BudgetUnit, v) or BudgetUnit.HUNDRED_MILLION,
        "allocated": lambda v: _decimal(v, low=Decimal(0)),
        "executed": lambda v: _decimal(v, low=Decimal(0)),
        "annual_budget": lambda v: _decimal(v, low=Decimal(0)),
    },
}
