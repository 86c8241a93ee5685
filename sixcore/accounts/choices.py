from django.db import models
from django.utils.translation import gettext_lazy as _


class AgencyKind(models.TextChoices):
    """What sort of body an agency is; the 18 of footnote 2 are ``core``."""

    CORE = "core", _("Program agency (footnote 2)")
    MINISTRY = "ministry", _("Other government agency")
    SUB_UNIT = "sub_unit", _("Sub-unit of an agency")
    OTHER = "other", _("Other organisation")


class Role(models.TextChoices):
    """What a user may do; the agency on the user says where (see accounts/policy.py)."""

    NDC_ADMIN = "ndc_admin", _("NDC administrator")
    NDC_REVIEWER = "ndc_reviewer", _("NDC reviewer")
    INDUSTRY_LEAD = "industry_lead", _("Industry lead unit")
    AGENCY_EDITOR = "agency_editor", _("Agency editor")
    AGENCY_VIEWER = "agency_viewer", _("Agency viewer")
