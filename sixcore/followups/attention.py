"""Follow-up items in NDC's attention list (``evaluation.extensions``, registered in ``apps.py``): they
need attention now, whatever period the page shows."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from sixcore.core.roc import format_roc_date
from sixcore.progress.clock import today

from .services import due_follow_ups

KIND = "follow_up"


def label() -> str:
    return _("Follow-up item")


def rows(user) -> list[dict]:
    """Items overdue or due within 30 days as of today, in the attention rows' shape."""
    as_of = today()
    return [
        {
            "kind": KIND,
            "industry": f.industry.code if f.industry_id else "",
            "measure": "",
            "ref": f"#{f.pk}",
            "what": f.text[:80],
            "problem": _("Overdue") if f.due_date < as_of else _("Due soon"),
            "detail": _("due %(date)s") % {"date": format_roc_date(f.due_date)},
            "agency": f.owner.name,
            "url": reverse("followups:detail", args=[f.pk]),
        }
        for f in due_follow_ups(user, as_of)
    ]
