"""The site menu: one entry per section, each shown only to the roles its views admit (no entry leads
to a 403), the current section marked. A context processor, so every page of the frame has it; the 500
page renders without it (no request), and base.html then shows the home link alone."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from sixcore.accounts.choices import AgencyKind
from sixcore.accounts.policy import EDITOR_ROLES, is_ndc


@dataclass(frozen=True)
class Entry:
    key: str
    label: str | Promise
    url: str
    current: bool = False


# Sections by URL namespace (or url_name for the pages that are their own section).
SECTION_OF_NAMESPACE = {
    "workbench": "todo",
    "plan": "plan",
    "evaluation": "dashboard",
    "progress": "reports",
    "revisions": "revisions",
    "coordination": "coordination",
    "fieldwork": "fieldwork",
    "followups": "followups",
    "supplies": "supplies",
    "reports": "downloads",
    "annual": "annual",
}
SECTION_OF_URL_NAME = {
    "attention": "attention",
    "agency": "agency",
    "excel_upload": "excel",
    "api-docs": "api",
    "api-schema": "api",
}


def current_sections(request) -> list[str]:
    """The sections the page belongs to, most specific first (an agency dashboard is 本機關儀表板 for
    its agency's users and 儀表板 for NDC, who have no such entry)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return []
    found = []
    if match.url_name in SECTION_OF_URL_NAME and match.namespace in ("evaluation", "progress", ""):
        found.append(SECTION_OF_URL_NAME[match.url_name])
    if match.namespace in SECTION_OF_NAMESPACE:
        found.append(SECTION_OF_NAMESPACE[match.namespace])
    return found


def agency_dashboard_code(user) -> str | None:
    """The reporting agency whose dashboard an agency user reads: sub-units report through their
    ministry (as progress.services.reporting_agency), without a query (the agency comes with the user)."""
    agency = getattr(user, "agency", None)
    if agency is None or is_ndc(user):
        return None
    while agency.parent_id is not None:
        agency = agency.parent
    # Only reporting agencies have a dashboard (evaluation.service: REPORTING_KINDS).
    return agency.code if agency.kind in (AgencyKind.CORE, AgencyKind.MINISTRY) else None


def entries_for(user) -> list[tuple[str, str | Promise, str, tuple]]:
    """(key, label, url name, args) of every section this user may open."""
    signed_in = getattr(user, "is_authenticated", False)
    ndc = is_ndc(user)
    rows: list[tuple[str, str | Promise, str, tuple]] = []
    if signed_in:
        rows.append(("todo", pgettext_lazy("site menu", "To-do"), "workbench:home", ()))
    rows.append(("plan", pgettext_lazy("site menu", "Program"), "plan:overview", ()))
    rows.append(("dashboard", pgettext_lazy("site menu", "Dashboards"), "evaluation:program", ()))
    if signed_in and (code := agency_dashboard_code(user)):
        rows.append(
            ("agency", pgettext_lazy("site menu", "My agency's dashboard"), "evaluation:agency", (code,))
        )
    if signed_in:
        rows.append(("reports", pgettext_lazy("site menu", "Quarterly reports"), "progress:submissions", ()))
    # Everybody: the public reads published grades, agencies their own evaluations (annual/policy.py).
    rows.append(("annual", pgettext_lazy("site menu", "Year-end evaluation"), "annual:list", ()))
    if signed_in and user.role in EDITOR_ROLES:
        rows.append(("excel", pgettext_lazy("site menu", "Excel upload"), "progress:excel_upload", ()))
    if ndc:
        rows.append(("attention", pgettext_lazy("site menu", "Needs attention"), "evaluation:attention", ()))
    rows.append(("revisions", pgettext_lazy("site menu", "Plan revisions"), "revisions:list", ()))
    rows.append(("coordination", pgettext_lazy("site menu", "Coordination"), "coordination:index", ()))
    # NDC plans visits; agencies read those they attend; the public reads published ones.
    rows.append(("fieldwork", pgettext_lazy("site menu", "Field verification"), "fieldwork:index", ()))
    # The public reads published items only: the list is open to all, like coordination's.
    rows.append(("followups", pgettext_lazy("site menu", "Follow-up items"), "followups:index", ()))
    rows.append(("supplies", pgettext_lazy("site menu", "Strategic supplies"), "supplies:dashboard", ()))
    rows.append(("downloads", pgettext_lazy("site menu", "Reports and open data"), "reports:index", ()))
    rows.append(("api", "API", "api-docs", ()))
    return rows


def menu(request) -> dict:
    """Context processor: ``site_menu`` (entries) and ``site_section`` (the current one's key)."""
    rows = []
    for key, label, name, args in entries_for(getattr(request, "user", None)):
        try:
            rows.append((key, label, reverse(name, args=args)))
        except NoReverseMatch:  # an app left out of a deployment's URLconf
            continue
    keys = {key for key, _label, _url in rows}
    section = next((s for s in current_sections(request) if s in keys), "")
    entries = [Entry(key, label, url, key == section) for key, label, url in rows]
    return {"site_menu": entries, "site_section": section}
