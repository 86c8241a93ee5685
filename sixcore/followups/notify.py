"""Reminders of follow-up items (追蹤事項), sent by ``sixcore remind`` with the quarterly reminders: one
path for every kind of item. Each owner agency gets one mail listing its items due within 30 days or
overdue; a mail with an overdue item goes to NDC too."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.conf import settings
from django.utils.translation import gettext

from sixcore.core.roc import format_roc_date

from .services import DUE_WITHIN, due_follow_ups


def follow_up_messages(as_of: date) -> list[tuple[str, str, str, list[str]]]:
    """(subject, body, sender, recipients) per owner agency with items due by ``as_of`` + 30 days."""
    by_owner = defaultdict(list)
    for item in due_follow_ups(None, as_of, DUE_WITHIN):
        by_owner[item.owner].append(item)
    messages = []
    for owner, items in sorted(by_owner.items(), key=lambda kv: (kv[0].order, kv[0].code)):
        overdue = [i for i in items if i.due_date < as_of]
        lines = "\n".join(
            gettext("- #%(id)s %(text)s (due %(due)s%(late)s)")
            % {
                "id": i.pk,
                "text": i.text[:120],
                "due": format_roc_date(i.due_date),
                "late": gettext(", overdue") if i.due_date < as_of else "",
            }
            for i in items
        )
        words = {"agency": owner.name, "n": len(items), "overdue": len(overdue), "items": lines}
        subject = (
            gettext("[Overdue] %(agency)s: %(overdue)s follow-up items overdue")
            if overdue
            else gettext("[Reminder] %(agency)s: %(n)s follow-up items due soon")
        )
        body = gettext(
            "Dear %(agency)s,\n\nThe following follow-up items (追蹤事項) are due or overdue. Please report "
            "the progress (辦理情形) of each in your quarterly report.\n\n%(items)s\n\n"
            "National Development Council"
        )
        recipients = owner.mail_recipients()
        if overdue:
            recipients = [*recipients, settings.NDC_NOTIFY_EMAIL]
        messages.append((subject % words, body % words, settings.DEFAULT_FROM_EMAIL, recipients))
    return messages
