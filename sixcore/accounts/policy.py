"""The primitives every permission policy is built from: who a user is (NDC, an editor role) and which
agencies they act for.

Each app keeps the policy of its own objects beside them (``progress.policy.submission_policy``,
``plan.policy``, ``annual.policy``, …) and answers from these; accounts knows users and agencies only,
so it sits below every domain app (docs/ARCHITECTURE.md, "Layers").
"""

from __future__ import annotations

from .choices import Role
from .models import Agency

EDITOR_ROLES = (Role.AGENCY_EDITOR, Role.INDUSTRY_LEAD)


def _descendants(agency_id: int, parents: dict[int, int | None]) -> frozenset[int]:
    ids = {agency_id}
    frontier = [agency_id]
    while frontier:
        frontier = [pk for pk, parent in parents.items() if parent in frontier and pk not in ids]
        ids.update(frontier)
    return frozenset(ids)


def agency_scope(user) -> frozenset[int]:
    """Ids of the agencies a user acts for: their agency and its sub-units, plus the ministry a sub-unit
    belongs to — reports are filed by the ministry (經濟部 files for 經濟部(工業局)), so an officer of a
    sub-unit works on the ministry's report. Empty for anonymous users and users without an agency."""
    if not getattr(user, "is_authenticated", False) or not user.agency_id:
        return frozenset()
    # Memoised on the user object, i.e. for one request: a process-wide cache would go stale when an
    # agency is re-parented (and differ between app servers). The agency tree is a few dozen rows.
    cached = getattr(user, "_sixcore_agency_scope", None)
    if cached is not None and cached[0] == user.agency_id:
        return cached[1]
    parents = dict(Agency.objects.values_list("pk", "parent_id"))
    scope = _descendants(user.agency_id, parents)
    top = user.agency_id
    while parents.get(top) is not None:
        top = parents[top]
    scope = scope | {top}
    user._sixcore_agency_scope = (user.agency_id, scope)
    return scope


def is_ndc(user) -> bool:
    return getattr(user, "is_authenticated", False) and user.role in (Role.NDC_ADMIN, Role.NDC_REVIEWER)


def is_ndc_admin(user) -> bool:
    return getattr(user, "is_authenticated", False) and user.role == Role.NDC_ADMIN
