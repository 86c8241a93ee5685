"""Who sees and does what with follow-up items — one place, used by every view, endpoint and command.

- NDC (administrators and reviewers) see every item, create them, and rule on them: close (解除列管),
  keep (繼續列管), track again, publish.
- The owner agency's editors (a ministry and its sub-units, as for quarterly reports) write its 辦理情形,
  in the quarterly report that carries the item. Agency users (viewers included) read the items their
  agency owns, the items of the industries their agency leads (industry leads), and items they are
  party to through the origin (an issue they raised or are involved in).
- Anonymous users read published items only, without the agencies' responses.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from sixcore.accounts.policy import EDITOR_ROLES, agency_scope, is_ndc
from sixcore.plan.policy import led_industry_ids

from .origins import party_q


def _authenticated(user) -> bool:
    return getattr(user, "is_authenticated", False)


class FollowUpPolicy:
    def visible(self, user, queryset: QuerySet) -> QuerySet:
        """The follow-up items a user may read."""
        if is_ndc(user):
            return queryset
        published = Q(published=True)
        scope = agency_scope(user)
        if not scope:
            return queryset.filter(published)
        party = published | Q(owner__in=scope) | Q(industry__in=led_industry_ids(user)) | party_q(scope)
        return queryset.filter(pk__in=queryset.filter(party).values("pk"))

    def can_view(self, user, follow_up) -> bool:
        return self.visible(user, type(follow_up).objects.filter(pk=follow_up.pk)).exists()

    def can_read_responses(self, user) -> bool:
        """The agencies' 辦理情形 are their working record: not for the public."""
        return _authenticated(user)

    def can_respond(self, user, follow_up) -> bool:
        """Write 辦理情形: the owner agency's editors (the report's lock is checked by the service)."""
        return _authenticated(user) and user.role in EDITOR_ROLES and follow_up.owner_id in agency_scope(user)

    def can_create(self, user) -> bool:
        return is_ndc(user)

    def can_rule(self, user) -> bool:
        """Close, keep, track again, publish: NDC."""
        return is_ndc(user)


follow_up_policy = FollowUpPolicy()
