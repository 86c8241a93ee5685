from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnnualConfig(AppConfig):
    name = "sixcore.annual"
    label = "annual"
    verbose_name = _("Year-end evaluation")

    def ready(self) -> None:
        from . import tracking

        tracking.register()
