"""Who may read which revision of the plan, and which industries a user's agency leads.

The plan in force is public; drafts and rejected proposals of a revision open for NDC only. Which
agencies lead an industry is plan data (``IndustryLeadAgency``), so the question "which industries does
this officer lead" is answered here, on top of the agency scope of ``accounts.policy``; the policies of
submissions, year-end evaluations and follow-ups build on it.
"""

from __future__ import annotations

from django.db.models import QuerySet

from sixcore.accounts.choices import Role
from sixcore.accounts.policy import agency_scope, is_ndc

from .models import Industry, Program, programs_in_force


def programs_visible_to(user) -> QuerySet[Program]:
    """Program rows a user may open: those in force, plus drafts and rejected proposals for NDC."""
    return Program.objects.all() if is_ndc(user) else programs_in_force()


def led_industry_ids(user) -> frozenset[int]:
    """Industries (of any revision) whose lead units include the user's agency, for industry leads."""
    if not getattr(user, "is_authenticated", False) or user.role != Role.INDUSTRY_LEAD or not user.agency_id:
        return frozenset()
    return frozenset(
        Industry.objects.filter(lead_agencies__in=agency_scope(user)).values_list("pk", flat=True)
    )
