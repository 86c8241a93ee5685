from django.db import models
from django.utils.translation import gettext_lazy as _


class AgencyKind(models.TextChoices):
    """What sort of body an agency is; the 18 of footnote 2 are ``core``."""

    CORE = "core", _("Program agency (footnote 2)")
    MINISTRY = "ministry", _("Other government agency")
    SUB_UNIT = "sub_unit", _("Sub-unit of an agency")
    OTHER = "other", _("Other organisation")
