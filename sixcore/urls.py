"""Root URLconf."""

import os

from django.contrib import admin
from django.urls import include, path

# The admin lives at a configurable path so that it is not where scanners look first.
ADMIN_PATH = os.environ.get("SIXCORE_ADMIN_PATH", "admin/").strip("/") + "/"

urlpatterns = [
    path(ADMIN_PATH, admin.site.urls),
    path("", include("sixcore.plan.urls")),
]
