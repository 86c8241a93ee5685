"""The dates sixcore accepts from outside: query parameters, form fields, uploaded cells, command options.

Dates feed arithmetic — a two-year look-back, forecasts, ROC conversion — and ``date`` stops at years 1
and 9999: ``GET /api/supplies/status/?as_of=0008-10-03`` reached ``as_of - 730 days`` and answered 500
(OverflowError). Every date from outside is checked against this range before any arithmetic, and a
date outside it is refused (400, a form error, a cell error, a command error) naming what was wrong.
ROC 1 (1912) to ROC 189 (2100) holds the program, its history and any plausible plan with room to
spare, and keeps every window the code computes far inside ``date``'s own range.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

MIN_DATE = date(1912, 1, 1)  # ROC 1/1/1
MAX_DATE = date(2100, 12, 31)  # ROC 189/12/31


def out_of_range(value: date) -> str:
    return gettext("date %(date)s is outside the accepted range %(min)s to %(max)s") % {
        "date": value.isoformat(),
        "min": MIN_DATE.isoformat(),
        "max": MAX_DATE.isoformat(),
    }


def check_range(value: date) -> date:
    """``value`` if it is in range, else ValueError with the message to show."""
    if not MIN_DATE <= value <= MAX_DATE:
        raise ValueError(out_of_range(value))
    return value


def parse_iso(text: str) -> date:
    """A ``YYYY-MM-DD`` text in range; ValueError (with the message to show) otherwise."""
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise ValueError(gettext("expected a date YYYY-MM-DD")) from None
    return check_range(value)


def validate_date_range(value: date) -> None:
    """A field validator (Django forms and DRF serializers)."""
    if value is not None and not MIN_DATE <= value <= MAX_DATE:
        raise ValidationError(out_of_range(value), code="date_range")


def limit_dates(form: forms.BaseForm) -> None:
    """Give every date field of ``form`` the range check (call at the end of ``__init__``)."""
    for field in form.fields.values():
        if isinstance(field, forms.DateField) and validate_date_range not in field.validators:
            field.validators.append(validate_date_range)


class DateRangeAdminMixin:
    """For ModelAdmins: every date field of the admin's forms gets the range check (a cycle's "as of"
    date of year 8 would make every page's arithmetic overflow)."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(field, forms.DateField) and validate_date_range not in field.validators:
            field.validators.append(validate_date_range)
        return field


# --- ROC date entry in forms ------------------------------------------------------------------------
# People type dates as they write them (112/7/15); the browser's date picker shows mm/dd/yyyy in an
# English-locale chromium and never ROC years. One text field, with the quarterly form's pattern, for
# every form where a person types a date; ISO (2023-07-15) is accepted too.
ROC_DATE_PATTERN = r"\s*[0-9]{2,3}\s*/\s*[0-9]{1,2}\s*/\s*[0-9]{1,2}\s*|\s*[0-9]{4}-[0-9]{2}-[0-9]{2}\s*"


class RocDateInput(forms.TextInput):
    """A text box showing a date as 112/7/15."""

    def __init__(self, attrs=None):
        defaults = {
            "placeholder": "112/7/15",
            "pattern": ROC_DATE_PATTERN,
            "size": "10",
            "autocomplete": "off",
        }
        super().__init__({**defaults, **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].setdefault("title", gettext("ROC date, e.g. 112/7/15"))
        return context

    def format_value(self, value):
        from .roc import RocDateError, format_roc_date

        if isinstance(value, date):
            try:
                return format_roc_date(value)
            except RocDateError:
                return value.isoformat()
        return super().format_value(value)


def parse_typed_date(text: str) -> date:
    """A date as a person types it — ROC ``112/7/15`` or ISO ``2023-07-15`` — checked for range;
    ValueError with the message to show otherwise."""
    from .roc import RocDateError, parse_roc_month

    text = text.strip()
    try:
        value = date.fromisoformat(text)
    except ValueError:
        try:
            if text.count("/") != 2:  # a month alone (112/7) is not a day
                raise RocDateError(text)
            value = parse_roc_month(text)
        except RocDateError:
            raise ValueError(gettext("Enter a date such as 112/7/15 (ROC) or 2023-07-15.")) from None
    return check_range(value)


class RocDateField(forms.DateField):
    """A date typed as 112/7/15 (or 2023-07-15), shown back the same way; range-checked."""

    widget = RocDateInput

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, date):
            return value
        try:
            return parse_typed_date(str(value))
        except ValueError as exc:
            raise ValidationError(str(exc), code="invalid") from None
