from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sixcore.accounts.models import Agency
from sixcore.core.dates import RocDateField, limit_dates

from .models import CoordinationIssue, Meeting


class SubjectMixin(forms.Form):
    subject = forms.CharField(
        label=_("Subject (measure 1.2, KPI 1.2/1.2.2 or work item 1-1/1.1.1; blank for general)"),
        required=False,
        max_length=40,
    )


class IssueForm(forms.ModelForm):
    subject = SubjectMixin.base_fields["subject"]

    class Meta:
        model = CoordinationIssue
        fields = ["title", "description", "requested_decision", "agencies", "due_date"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "requested_decision": forms.Textarea(attrs={"rows": 2}),
        }
        field_classes = {"due_date": RocDateField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agencies"].queryset = Agency.objects.order_by("order", "code")
        limit_dates(self)


class MeetingForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["date", "title", "attendees", "agenda", "minutes"]
        widgets = {
            "minutes": forms.Textarea(attrs={"rows": 4}),
        }
        field_classes = {"date": RocDateField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = Agency.objects.order_by("order", "code")
        limit_dates(self)


class DecisionForm(forms.Form):
    """A meeting's decision; its owner and deadline become the decision's follow-up item."""

    issue = forms.ModelChoiceField(
        label=_("issue"), queryset=CoordinationIssue.objects.none(), required=False
    )
    text = forms.CharField(label=_("decision"), widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.ModelChoiceField(label=_("owner agency"), queryset=Agency.objects.none())
    deadline = RocDateField(label=_("deadline"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issue"].queryset = CoordinationIssue.objects.all()
        self.fields["owner"].queryset = Agency.objects.order_by("order", "code")
        limit_dates(self)


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False)
