"""Pages of the supplies watch: dashboard, item chart, alerts, observation entry, import, registry edit.

Aggregated figures are public; a company's own figures show only to NDC and the responsible agency
(see policy.py). Each page reads in a bounded number of queries (tests assert it). Labels are written
in Traditional Chinese directly in the templates (the zh_Hant catalogue belongs to another module).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods

from sixcore.core.changelog import history_context
from sixcore.core.dates import check_range, limit_dates
from sixcore.core.roc import format_roc_date
from sixcore.core.uploads import UploadRefused, check_upload, import_max_bytes

from . import policy, rules
from .choices import AlertKind, ObservationSource
from .importer import import_file, stored_exactly, too_many_digits
from .models import Alert, Minimum, Observation, Reporter, SupplyItem
from .registry import ensure_seeded
from .services import (
    DISPLAY_ORDER,
    ITEM_STATUS_LABELS,
    compute_statuses,
    item_series,
    items_queryset,
    measure_label,
    summarise,
)

ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
ROC_DATE = re.compile(r"^\s*(\d{2,3})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*$")


def parse_date(value: str | None) -> date | None:
    """A date as a person types it: ROC ``112/8/1`` (the pages show dates so) or ISO ``2023-08-01``."""
    if not value:
        return None
    match = ROC_DATE.match(value)
    try:
        if match:
            year, month, day = (int(g) for g in match.groups())
            return date(year + 1911, month, day)
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def roc_text(text: str) -> str:
    """ISO dates inside a stored message (alerts were written with them) read in the ROC calendar."""

    def replace(match: re.Match[str]) -> str:
        try:
            return format_roc_date(date(*(int(g) for g in match.groups())))
        except ValueError:
            return match.group(0)

    return ISO_DATE.sub(replace, text)


def _as_of(request: HttpRequest) -> date:
    from sixcore.progress.clock import today

    return _date_param(request, "as_of") or today()


def _date_param(request: HttpRequest, name: str) -> date | None:
    """A date in the query string, ROC or ISO (``parse_date``): an unreadable one is ignored (the default
    applies), one out of range is a 400 naming the parameter (core/dates.py: it would overflow the
    look-back arithmetic)."""
    parsed = parse_date(request.GET.get(name))
    if parsed is None:
        return None
    try:
        return check_range(parsed)
    except ValueError as exc:
        raise BadRequest(f"{name}: {exc}") from None


def _number(value: Decimal | None, places: int = 2) -> float | None:
    return rules.finite_or_none(value, places)


def dashboard(request: HttpRequest) -> HttpResponse:
    """Every item's cover against its minimum, coloured; overdue reporters; open alerts."""
    ensure_seeded()
    as_of = _as_of(request)
    summary = summarise(compute_statuses(as_of))
    statuses = summary.statuses
    detail_ids = {s.item.pk for s in statuses if policy.can_read_details(request.user, s.item)}
    rows = []
    for s in statuses:
        ratio = None
        if s.cover is not None and s.minimum:
            ratio = _number(s.cover * 100 / s.minimum, 1) if s.cover.is_finite() else None
        rows.append(
            {
                "status": s,
                "measure": measure_label(s.item.minimum_kind),
                "cover": _number(s.cover),
                "days": _number(s.days_of_cover, 1),
                "ratio": ratio,
                "label": s.label,
                "details": s.item.pk in detail_ids,
            }
        )
    chart = {
        "items": [r["status"].item.name for r in rows if r["ratio"] is not None],
        "ratios": [r["ratio"] for r in rows if r["ratio"] is not None],
        "statuses": [r["status"].status for r in rows if r["ratio"] is not None],
    }
    counts = summary.counts
    return render(
        request,
        "supplies/dashboard.html",
        {
            "as_of": as_of,
            "rows": rows,
            "chart": chart,
            "overdue": summary.overdue,
            "detail_ids": detail_ids,
            "counts": counts,
            "legend": [(key, ITEM_STATUS_LABELS[key], counts[key]) for key in DISPLAY_ORDER],
            "can_import": policy.editable_items(request.user, SupplyItem.objects.all()).exists()
            if request.user.is_authenticated
            else False,
        },
    )


def item_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One item: chart of its cover with the stepping minimum, the same figures as a table, its
    minimums and sources, and (for NDC and the responsible agency) each reporter's standing."""
    ensure_seeded()
    item = get_object_or_404(items_queryset(), code=code)
    as_of = _as_of(request)
    start = _date_param(request, "start") or as_of - timedelta(days=730)
    status = compute_statuses(as_of, [item])[0]
    series = item_series(item, start, as_of)
    schedule = [(m.effective_from, m.value) for m in item.minimums.all()]
    steps = rules.minimum_steps(schedule, start, as_of)
    chart = {
        "name": item.name,
        "measure": measure_label(item.minimum_kind),
        "dates": [row["date"].isoformat() for row in series],
        "cover": [_number(row["cover"]) for row in series],
        "minimum": [
            [start.isoformat(), _number(steps[0][1])],
            *[[d.isoformat(), _number(v)] for d, v in steps[1:]],
            [as_of.isoformat(), _number(rules.minimum_on(schedule, as_of))],
        ],
        "price": [_number(row["price"]) for row in series] if item.price_unit else [],
        "price_unit": item.price_unit,
    }
    details = policy.can_read_details(request.user, item)
    return render(
        request,
        "supplies/item.html",
        {
            "item": item,
            "as_of": as_of,
            "start": start,
            "status": status,
            "status_label": status.label,
            "measure": measure_label(item.minimum_kind),
            "cover": _number(status.cover),
            "days": _number(status.days_of_cover, 1),
            "series": series,
            "chart": chart,
            "details": details,
            "can_edit": policy.can_edit(request.user, item),
            "minimums": list(item.minimums.all()),
            **(history_context(item, limit=30) if details else {}),
        },
    )


def alerts(request: HttpRequest) -> HttpResponse:
    """Alert episodes, open first. Reporter-level alerts only for NDC and the responsible agency."""
    queryset = Alert.objects.select_related("item", "reporter").order_by(
        "closed_on", "-opened_on", "item__order"
    )
    if not policy.is_ndc(request.user):
        own = policy.responsible_agency_ids(request.user)
        queryset = queryset.filter(Q(reporter__isnull=True) | Q(item__responsible_agency__in=own))
    state = request.GET.get("state", "open")
    if state == "open":
        queryset = queryset.filter(closed_on__isnull=True)
    shown = list(queryset[:500])
    for alert in shown:
        alert.shown_message = roc_text(alert.message)
    return render(
        request,
        "supplies/alerts.html",
        {"alerts": shown, "state": state, "kinds": dict(AlertKind.choices)},
    )


# --- writing -------------------------------------------------------------------------------------


class RocDateInput(forms.TextInput):
    """A date typed as people write it here (112/8/1), shown the same way when the form comes back."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"inputmode": "numeric", "placeholder": "112/8/1", "size": "10", **(attrs or {})})

    def format_value(self, value: Any) -> str | None:
        return format_roc_date(value) if isinstance(value, date) else super().format_value(value)


class RocDateField(forms.DateField):
    """民國 ``112/8/1`` or ISO ``2023-08-01``."""

    widget = RocDateInput

    def to_python(self, value: Any) -> date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, date):
            return value
        parsed = parse_date(str(value))
        if parsed is None:
            raise forms.ValidationError("日期請以民國年/月/日填寫，例如 112/8/1", code="invalid")
        return parsed


class ObservationForm(forms.ModelForm):
    """One observation, entered on the web; the unit is the item's (shown, not typed)."""

    class Meta:
        model = Observation
        fields = ["item", "reporter", "date", "production", "imports", "consumption", "stock", "price"]
        field_classes = {"date": RocDateField}
        labels = {
            "item": pgettext_lazy("supply item", "Item"),
            "reporter": gettext_lazy("Reporter"),
            "date": gettext_lazy("Date (ROC year/month/day)"),
            "production": gettext_lazy("Production"),
            "imports": gettext_lazy("Imports"),
            "consumption": gettext_lazy("Sales / consumption"),
            "stock": gettext_lazy("Stock"),
            "price": gettext_lazy("Price"),
        }

    def __init__(self, *args: Any, user: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["item"].queryset = policy.editable_items(user, SupplyItem.objects.all())
        self.fields["reporter"].queryset = Reporter.objects.all()
        limit_dates(self)

    def clean_date(self) -> date:
        value = self.cleaned_data["date"]
        if value > self.today:
            raise forms.ValidationError(
                gettext("date %(date)s is in the future (today is %(today)s)")
                % {"date": format_roc_date(value), "today": format_roc_date(self.today)}
            )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in ("production", "imports", "consumption", "stock", "price"):
            if data.get(name) is not None and data[name] < 0:
                self.add_error(name, gettext("Cannot be negative."))
            elif data.get(name) is not None and not stored_exactly(data[name]):
                # Within max_digits, but SQLite would keep it rounded: refused as by the importer and API.
                self.add_error(name, too_many_digits(name, str(data[name])))
        item, reporter = data.get("item"), data.get("reporter")
        if item and reporter and not reporter.assignment_set.filter(item=item).exists():
            self.add_error(
                "reporter",
                gettext("reporter %(reporter)s does not report item %(item)s")
                % {"reporter": reporter, "item": item},
            )
        return data


@login_required
@require_http_methods(["GET", "POST"])
def observation_new(request: HttpRequest) -> HttpResponse:
    """Enter one observation (editors of the responsible agency, NDC administrators)."""
    from sixcore.progress.clock import today

    if not policy.editable_items(request.user, SupplyItem.objects.all()).exists():
        raise PermissionDenied(
            gettext("Only editors of the responsible agency or NDC administrators may report.")
        )
    form = ObservationForm(request.POST or None, user=request.user, today=today())
    if request.method == "POST" and form.is_valid():
        observation = form.save(commit=False)
        observation.source = ObservationSource.WEB
        try:
            with transaction.atomic():
                observation.save()
        except IntegrityError:
            form.add_error(None, gettext("duplicate observation: same item, reporter and date"))
        else:
            return redirect("supplies:item", code=observation.item.code)
    return render(request, "supplies/observation_form.html", {"form": form})


IMPORT_KINDS = (".csv", ".ods", ".xlsx")


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV or XLSX file"))


@login_required
@require_http_methods(["GET", "POST"])
def import_view(request: HttpRequest) -> HttpResponse:
    """Upload a CSV/XLSX of observations; every bad row is listed and nothing is written."""
    editable = policy.editable_items(request.user, SupplyItem.objects.all())
    if not editable.exists():
        raise PermissionDenied(
            gettext("Only editors of the responsible agency or NDC administrators may import.")
        )
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    forbidden: list[str] = []
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            content = check_upload(upload, IMPORT_KINDS, import_max_bytes()).content
        except UploadRefused as exc:
            form.add_error("file", str(exc))
            status = 400
        else:
            allowed = set(editable.values_list("code", flat=True))
            forbidden = _items_outside(upload.name, content, allowed)
            if not forbidden:
                result = import_file(name=upload.name, content=content, user=request.user)
    return render(
        request,
        "supplies/import.html",
        {"form": form, "result": result, "forbidden": forbidden},
        status=status,
    )


def _items_outside(name: str, content: bytes, allowed: set[str]) -> list[str]:
    """Item codes in the file the user may not write (checked before anything is validated)."""
    from .importer import item_codes

    try:
        codes = item_codes(name, content)
    except Exception:  # noqa: BLE001 - an unreadable file is reported by the importer itself
        return []
    known = set(SupplyItem.objects.filter(code__in=codes).values_list("code", flat=True))
    return sorted(code for code in codes & known if code not in allowed)


class ItemForm(forms.ModelForm):
    class Meta:
        model = SupplyItem
        fields = [
            "name",
            "unit",
            "price_unit",
            "frequency",
            "grace_days",
            "minimum_kind",
            "basis",
            "window_days",
            "forecast_points",
            "price_warning_pct",
            "price_window",
            "notes",
        ]


class MinimumForm(forms.ModelForm):
    class Meta:
        model = Minimum
        fields = ["effective_from", "value", "basis_text", "line"]
        field_classes = {"effective_from": RocDateField}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_dates(self)


@login_required
@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, code: str) -> HttpResponse:
    """Edit an item's registry entry and add a minimum step (audited by the change log)."""
    item = get_object_or_404(SupplyItem.objects.select_related("responsible_agency"), code=code)
    if not policy.can_edit(request.user, item):
        raise PermissionDenied(
            gettext("Only NDC or editors of the responsible agency may edit the registry entry.")
        )
    form = ItemForm(
        request.POST if request.POST.get("form") == "item" else None, instance=item, prefix="item"
    )
    minimum_form = MinimumForm(
        request.POST if request.POST.get("form") == "minimum" else None, prefix="minimum"
    )
    if request.method == "POST":
        if request.POST.get("form") == "item" and form.is_valid():
            form.save()
            return redirect("supplies:item", code=item.code)
        if request.POST.get("form") == "minimum" and minimum_form.is_valid():
            minimum = minimum_form.save(commit=False)
            minimum.item = item
            try:
                with transaction.atomic():
                    minimum.save()
            except IntegrityError:
                minimum_form.add_error(
                    "effective_from", gettext("A minimum already takes effect on this day.")
                )
            else:
                return redirect("supplies:item", code=item.code)
    return render(
        request,
        "supplies/item_edit.html",
        {"item": item, "form": form, "minimum_form": minimum_form, "minimums": list(item.minimums.all())},
    )
