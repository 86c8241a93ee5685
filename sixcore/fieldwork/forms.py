"""Forms of the field-verification pages. Labels are the words the errors name; the services validate
again (the API and the demo write through them too)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sixcore.accounts.choices import AgencyKind
from sixcore.accounts.models import Agency
from sixcore.core.dates import RocDateField, limit_dates

from .choices import Reason


def _agencies():
    return Agency.objects.filter(kind__in=[AgencyKind.CORE, AgencyKind.MINISTRY]).order_by("order", "code")


class CandidateFilterForm(forms.Form):
    """Filters of the candidate list; the thresholds default to the selection settings."""

    period = forms.CharField(label=_("Period"), required=False, max_length=8)
    industry = forms.CharField(label=_("Industry"), required=False, max_length=4)
    agency = forms.CharField(label=_("Agency"), required=False, max_length=40)
    reason = forms.ChoiceField(label=_("Reason"), required=False, choices=[("", "—"), *Reason.choices])
    lag = forms.DecimalField(
        label=_("Lag threshold (percentage points)"),
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=2,
    )
    repeat = forms.IntegerField(
        label=_("Late or returned at least (times)"), required=False, min_value=1, max_value=20
    )


class VerificationForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    date = RocDateField(label=_("verification date"))
    place = forms.CharField(label=_("place"), max_length=200)
    reviewers = forms.CharField(
        label=_("reviewers"),
        max_length=300,
        help_text=_("NDC officers and committee members who verify, separated by 、"),
    )
    agencies = forms.ModelMultipleChoiceField(
        label=_("agencies to attend"), queryset=Agency.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    purpose = forms.CharField(
        label=_("focus of the verification"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agencies"].queryset = _agencies()
        limit_dates(self)


class FindingsForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    findings = forms.CharField(label=_("findings"), widget=forms.Textarea(attrs={"rows": 4}))


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("evidence file (photo or document: pdf, docx, xlsx, odt, png, jpg)"))


class RecommendationForm(forms.Form):
    text = forms.CharField(label=_("recommendation"), widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.ModelChoiceField(label=_("owner agency"), queryset=Agency.objects.none())
    due_date = RocDateField(label=_("due date"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _agencies()
        limit_dates(self)


class StepForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("reason"), required=False, max_length=1000)
