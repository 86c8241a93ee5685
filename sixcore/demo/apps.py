from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """``sixcore demo``: the demo data of every app, so it sits above all of them (nothing imports it)."""

    name = "sixcore.demo"
    label = "demo"
    verbose_name = _("Demo data")
