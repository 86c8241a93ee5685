"""Forms of the revision pages (NDC only)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sixcore.core.dates import validate_date_range
from sixcore.core.roc import RocDateError, parse_roc_month


class DraftForm(forms.Form):
    base = forms.TypedChoiceField(label=_("Base revision"), coerce=int)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    effective_from = forms.CharField(label=_("Effective from (quarter, e.g. 112Q1)"), max_length=16)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class KpiForm(forms.Form):
    full_term = forms.CharField(label=_("Full-term target"), widget=forms.Textarea(attrs={"rows": 2}))
    agencies = forms.CharField(label=_("Agencies (separated by 、)"), required=False)

    def __init__(self, *args, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        for year in years:
            self.fields[f"y{year}"] = forms.CharField(
                label=_("Target %(year)s") % {"year": year},
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )


class AddKpiForm(forms.Form):
    measure = forms.CharField(label=_("Measure code"), max_length=8)
    code = forms.CharField(label=_("KPI code"), max_length=16)
    full_term = forms.CharField(label=_("Full-term target"))


class RocMonthField(forms.CharField):
    """``112/3`` (ROC year/month) → the first of that month (ROC 1 to 189: core/dates.py)."""

    default_validators = [validate_date_range]

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return parse_roc_month(value)
        except RocDateError as exc:
            raise forms.ValidationError(_("Write the month as 112/3.")) from exc


class WorkItemForm(forms.Form):
    schedule = forms.CharField(label=_("Schedule code"), max_length=8)
    code = forms.CharField(label=_("Work item code"), max_length=16)
    start = RocMonthField(label=_("Start month (ROC, e.g. 112/1)"), required=False)
    end = RocMonthField(label=_("End month (ROC, e.g. 113/12)"), required=False)


class BudgetForm(forms.Form):
    industry = forms.CharField(label=_("Industry code"), max_length=4)
    year = forms.IntegerField(label=_("Year (ROC)"))
    amount = forms.DecimalField(label=_("Amount (億元)"), max_digits=10, decimal_places=2)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Data file (program.yaml, kpis_N.yaml or schedules_N.yaml)"))


class DecisionForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
