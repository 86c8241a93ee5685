from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgressConfig(AppConfig):
    name = "sixcore.progress"
    label = "progress"
    verbose_name = _("Quarterly reporting")

    def ready(self) -> None:
        from . import tracking

        tracking.register()
