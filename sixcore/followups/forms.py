from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sixcore.accounts.models import Agency
from sixcore.core.dates import RocDateField, limit_dates

from .choices import FollowUpSource, FollowUpStatus


class FilterForm(forms.Form):
    """The list's filters (GET); a bad value is ignored, not an error page."""

    agency = forms.ModelChoiceField(
        label=_("Owner agency"), queryset=Agency.objects.none(), required=False, empty_label=_("All")
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All"))] + FollowUpStatus.choices, required=False
    )
    source = forms.ChoiceField(
        label=_("Source"), choices=[("", _("All"))] + FollowUpSource.choices, required=False
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = (
            Agency.objects.filter(follow_ups__isnull=False).distinct().order_by("order", "code")
        )


class RulingForm(forms.Form):
    """NDC's close (解除列管) or keep (繼續列管), with a comment; ``version`` detects concurrent rulings."""

    comment = forms.CharField(
        label=_("Comment (required to keep tracking)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    new_due_date = RocDateField(label=_("New due date (when kept)"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit_dates(self)
