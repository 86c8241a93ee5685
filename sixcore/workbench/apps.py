from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkbenchConfig(AppConfig):
    """The signed-in user's way in: the 待辦事項 home and the site menu (no models of its own)."""

    name = "sixcore.workbench"
    label = "workbench"
    verbose_name = _("To-do")
