"""Who may see and change what in the supplies watch (built on sixcore.accounts.policy).

- Everyone, anonymous included, reads the registry and the aggregated statuses (an item's cover,
  minimum, light and forecast): they are what the program publishes.
- A company's own figures (observations, per-reporter status, reporter-level alerts) are read only
  by NDC and by the users of the item's responsible agency (its units included).
- The registry of an item (the item, its minimums, its reporters' assignments) and its observations
  are written by NDC administrators and by editors (agency editors, industry leads) of the
  responsible agency. NDC reviewers read everything and write nothing.
"""

from __future__ import annotations

from django.db.models import QuerySet

from sixcore.accounts.policy import EDITOR_ROLES, agency_scope, is_ndc, is_ndc_admin


def _agency_chain(user) -> frozenset[int]:
    """The user's agency and its parents: a unit (經濟部(能源局)) acts for its ministry's items."""
    agency = getattr(user, "agency", None)
    ids: set[int] = set()
    while agency is not None and agency.pk not in ids:
        ids.add(agency.pk)
        agency = agency.parent
    return frozenset(ids)


def acts_for(user, agency_id: int | None) -> bool:
    """Whether the user belongs to the agency, one of its units, or is the agency's parent ministry."""
    if agency_id is None or not getattr(user, "is_authenticated", False) or not user.agency_id:
        return False
    return agency_id in agency_scope(user) or agency_id in _agency_chain(user)


def responsible_agency_ids(user) -> frozenset[int]:
    """Agencies whose items the user may read in detail (empty for anonymous users)."""
    if not getattr(user, "is_authenticated", False) or not user.agency_id:
        return frozenset()
    return agency_scope(user) | _agency_chain(user)


def can_read_details(user, item) -> bool:
    """Observations and per-reporter figures of ``item``."""
    return is_ndc(user) or acts_for(user, item.responsible_agency_id)


def can_edit(user, item) -> bool:
    """Edit the item's registry entry and enter its observations."""
    if is_ndc_admin(user):
        return True
    return (
        getattr(user, "is_authenticated", False)
        and user.role in EDITOR_ROLES
        and acts_for(user, item.responsible_agency_id)
    )


def can_create_items(user) -> bool:
    """New items are registered by NDC administrators."""
    return is_ndc_admin(user)


def visible_details(user, queryset: QuerySet, item_field: str = "item") -> QuerySet:
    """Restrict a queryset of observations (or alerts/assignments) to the items the user reads in detail."""
    if is_ndc(user):
        return queryset
    return queryset.filter(**{f"{item_field}__responsible_agency__in": responsible_agency_ids(user)})


def editable_items(user, queryset: QuerySet) -> QuerySet:
    """The items whose registry and observations the user may write."""
    if is_ndc_admin(user):
        return queryset
    if not getattr(user, "is_authenticated", False) or user.role not in EDITOR_ROLES:
        return queryset.none()
    return queryset.filter(responsible_agency__in=responsible_agency_ids(user))
