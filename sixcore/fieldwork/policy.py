"""Who sees and does what in field verification — one place, used by every view, endpoint and service.

- NDC (administrators and reviewers) plan visits, record findings, evidence and recommendations, and
  complete, publish, reopen or cancel a visit: every write is NDC's.
- Agency users (viewers included) read the visits their agency attends or owns a recommendation of (a
  ministry's scope includes its sub-units), whatever the state, so they can prepare and follow up.
- The public reads published visits: findings and recommendations with their follow-up state. Evidence
  files (site photos, internal documents) are never public: only NDC and the attending agencies download
  them (docs/USER_GUIDE.md, 實地查證).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from sixcore.accounts.policy import agency_scope, is_ndc

from .choices import VerificationStatus


class FieldworkPolicy:
    def verifications(self, user, queryset: QuerySet) -> QuerySet:
        """The visits ``user`` may read."""
        if is_ndc(user):
            return queryset
        published = Q(status=VerificationStatus.PUBLISHED)
        scope = agency_scope(user)
        if not scope:
            return queryset.filter(published)
        party = published | Q(agencies__in=scope) | Q(items__recommendations__owner__in=scope)
        return queryset.filter(pk__in=queryset.filter(party).values("pk"))

    def is_party(self, user, verification) -> bool:
        """NDC, or an agency attending the visit or owning one of its recommendations."""
        if is_ndc(user):
            return True
        scope = agency_scope(user)
        if not scope:
            return False
        return (
            verification.agencies.filter(pk__in=scope).exists()
            or verification.items.filter(recommendations__owner__in=scope).exists()
        )

    def can_manage(self, user) -> bool:
        """Plan, record, complete, publish: NDC only."""
        return is_ndc(user)


fieldwork_policy = FieldworkPolicy()
