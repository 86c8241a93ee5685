from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_fts(sender, using, apps=None, **kwargs):
    """Re-install the SQLite search triggers a table rebuild dropped (see search.fts)."""
    from . import fts

    if apps is not None:
        fts.ensure(connections[using], apps)


class SearchConfig(AppConfig):
    name = "sixcore.search"
    verbose_name = _("Site search")

    def ready(self):
        post_migrate.connect(_ensure_fts, sender=self, dispatch_uid="sixcore.search.fts")
