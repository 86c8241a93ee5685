"""Test data builders shared by the suite: users of every role, a period's submissions."""

from __future__ import annotations

import factory

from sixcore.accounts.choices import Role
from sixcore.accounts.models import Agency, User

PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    """``UserFactory(role=Role.AGENCY_EDITOR, agency__code="moea")`` — agency looked up by code."""

    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.AGENCY_VIEWER
    password = factory.django.Password(PASSWORD)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        agency = kwargs.pop("agency", None)
        if isinstance(agency, str):
            agency = Agency.objects.get(code=agency)
        kwargs["agency"] = agency
        return super()._create(model_class, *args, **kwargs)


def make_user(role: str, agency: str | None = None, username: str | None = None) -> User:
    """A user of ``role`` for the agency with code ``agency`` (e.g. ``make_user(Role.AGENCY_EDITOR, "moea")``)."""
    username = username or f"{role}_{agency or 'none'}"
    return UserFactory(username=username, role=role, agency=agency)


def ndc_admin() -> User:
    return make_user(Role.NDC_ADMIN, "ndc", "ndc")


def ndc_reviewer() -> User:
    return make_user(Role.NDC_REVIEWER, "ndc", "ndc_reviewer")


def editor(agency: str) -> User:
    return make_user(Role.AGENCY_EDITOR, agency, f"{agency}_editor")


def viewer(agency: str) -> User:
    return make_user(Role.AGENCY_VIEWER, agency, f"{agency}_viewer")


def industry_lead(agency: str) -> User:
    return make_user(Role.INDUSTRY_LEAD, agency, f"{agency}_lead")


def open_period(code: str = "111Q2", *, completeness: bool = False):
    """The period with its submissions created (drafts).

    The completeness rules of ``CycleSettings`` (narratives, KPI actuals, work-item progress before
    送出審查) are switched off unless ``completeness``: tests of rights and transitions submit empty
    drafts; tests of those rules ask for them."""
    from sixcore.progress.models import CycleSettings, ReportingPeriod
    from sixcore.progress.services import ensure_submissions

    CycleSettings.objects.update_or_create(
        pk=1,
        defaults={
            "require_narratives": completeness,
            "require_kpi_actuals": completeness,
            "require_work_item_progress": completeness,
        },
    )
    period = ReportingPeriod.by_code(code)
    ensure_submissions(period)
    return period
