"""追蹤事項辦理情形 in the quarterly report form: the section's cells, reading the form, completeness.

The form names each answer ``followups|<item id>|response`` (the report lines' ``kind|code|field``
shape, so the page's error list and notes work unchanged); ``services.save_responses`` writes them in the
same transaction as the lines.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from sixcore.progress.forms import Cell, as_text
from sixcore.progress.models import Submission

from .choices import FollowUpStatus
from .services import ReportItem, ResponseErrors, report_items, save_responses

KIND = "followups"
FIELD = "response"


def field_name(follow_up_id: int) -> str:
    return f"{KIND}|{follow_up_id}|{FIELD}"


def item_label(follow_up_id: int) -> str:
    """The answer as messages name it: 追蹤事項 #12 辦理情形."""
    return _("Follow-up item #%(id)s progress (辦理情形)") % {"id": follow_up_id}


def responses_from_post(data) -> dict[int, str]:
    """``{item id: text}`` of the section's fields in a POST (other names ignored)."""
    texts: dict[int, str] = {}
    for key in data:
        parts = key.split("|")
        if len(parts) == 3 and parts[0] == KIND and parts[2] == FIELD and parts[1].isdigit():
            texts[int(parts[1])] = data.get(key, "")
    return texts


def section(submission: Submission, post=None, errors: list[dict] | None = None) -> list[ReportItem]:
    """The items the report carries, each with ``cell``: the saved answer, or what the user typed when
    the save was refused, and the error at its field."""
    by_name = {e["name"]: e["message"] for e in errors or [] if e.get("name")}
    from sixcore.progress.clock import today

    as_of = today()
    items = report_items(submission)
    for item in items:
        name = field_name(item.follow_up.pk)
        value = as_text(item.text)
        if post is not None and name in post:
            value = post.get(name, "")
        item.cell = Cell(name, value, by_name.get(name, ""))
        item.cell.field_label = _("Progress (辦理情形)")
        item.cell.label = item_label(item.follow_up.pk)
        item.overdue = item.follow_up.is_overdue(as_of)
    return items


def save_from_post(user, submission: Submission, data) -> int:
    """Save the section's answers of a report form POST (nothing when the form has none)."""
    texts = responses_from_post(data)
    return save_responses(user, submission, texts) if texts else 0


def errors_for_form(exc: ResponseErrors) -> list[dict]:
    """The errors in the shape of the report's line errors (``label``, ``message``, ``name``)."""
    return [
        {
            "line": f"{KIND} {fu_id}",
            "field": FIELD,
            "message": message,
            "label": item_label(fu_id) if fu_id is not None else _("Follow-up items"),
            "name": field_name(fu_id) if fu_id is not None else "",
        }
        for fu_id, message in exc.errors
    ]


def completeness_problems(submission: Submission) -> list[str]:
    """Tracked items the report carries without 辦理情形: to be answered before 送出審查."""
    return [
        _("%(field)s: required before submitting.") % {"field": item_label(i.follow_up.pk)}
        for i in report_items(submission)
        if i.response is None and i.follow_up.status == FollowUpStatus.TRACKED
    ]
