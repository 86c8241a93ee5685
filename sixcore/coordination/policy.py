"""Who sees and does what in coordination — one place, used by every view and service.

- NDC (administrators and reviewers) see and manage everything: meetings, decisions, closing, publishing.
- Agency editors and industry leads raise issues for their agency; a decision's owner reports its
  辦理情形 in the quarterly report (the decision's follow-up item, ``followups``). Agency users (viewers included) read the issues, meetings and decisions their agency
  is party to: raiser, involved, attendee, owner (a ministry's scope includes its sub-units).
- Anonymous users see published decisions only.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from sixcore.accounts.policy import EDITOR_ROLES, agency_scope, is_ndc


def _authenticated(user) -> bool:
    return getattr(user, "is_authenticated", False)


class CoordinationPolicy:
    def issues(self, user, queryset: QuerySet) -> QuerySet:
        if is_ndc(user):
            return queryset
        scope = agency_scope(user)
        if not scope:
            return queryset.none()
        party = Q(raising_agency__in=scope) | Q(agencies__in=scope) | Q(decisions__follow_up__owner__in=scope)
        return queryset.filter(pk__in=queryset.filter(party).values("pk"))

    def meetings(self, user, queryset: QuerySet) -> QuerySet:
        if is_ndc(user):
            return queryset
        scope = agency_scope(user)
        if not scope:
            return queryset.none()
        party = Q(attendees__in=scope) | Q(decisions__follow_up__owner__in=scope)
        return queryset.filter(pk__in=queryset.filter(party).values("pk"))

    def decisions(self, user, queryset: QuerySet) -> QuerySet:
        if is_ndc(user):
            return queryset
        published = Q(follow_up__published=True)
        scope = agency_scope(user)
        if not scope:
            return queryset.filter(published)
        party = (
            published
            | Q(follow_up__owner__in=scope)
            | Q(issue__raising_agency__in=scope)
            | Q(issue__agencies__in=scope)
        )
        return queryset.filter(pk__in=queryset.filter(party).values("pk"))

    def can_raise(self, user) -> bool:
        return is_ndc(user) or (_authenticated(user) and user.role in EDITOR_ROLES and bool(user.agency_id))

    def can_manage(self, user) -> bool:
        """Meetings, decisions, closing and publishing: NDC."""
        return is_ndc(user)


coordination_policy = CoordinationPolicy()
