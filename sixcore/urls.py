"""Root URLconf."""

import os

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

# The admin lives at a configurable path so that it is not where scanners look first.
ADMIN_PATH = os.environ.get("SIXCORE_ADMIN_PATH", "admin/").strip("/") + "/"

urlpatterns = [
    path(ADMIN_PATH, admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The API: its schema and docs (sixcore/api, a library layer), then each app's api/urls.py.
    path("api/", include("sixcore.api.urls")),
    path("api/plan/", include("sixcore.plan.api.urls")),
    path("api/plan/", include("sixcore.accounts.api.urls")),
    path("api/progress/", include("sixcore.progress.api.urls")),
    path("api/evaluation/", include("sixcore.evaluation.api.urls")),
    path("api/supplies/", include("sixcore.supplies.api.urls")),
    path("api/field-verifications/", include("sixcore.fieldwork.api.urls")),
    path("api/follow-ups/", include("sixcore.followups.api.urls")),
    path("api/", include("sixcore.annual.api.urls")),
    path("dashboard/", include("sixcore.evaluation.urls")),
    path("revisions/", include("sixcore.revisions.urls")),
    path("coordination/", include("sixcore.coordination.urls")),
    path("follow-ups/", include("sixcore.followups.urls")),
    path("field-verifications/", include("sixcore.fieldwork.urls")),
    path("reports/", include("sixcore.reports.urls")),
    path("annual/", include("sixcore.annual.urls")),
    path("progress/", include("sixcore.progress.urls")),
    path("supplies/", include("sixcore.supplies.urls")),
    path("search/", include("sixcore.search.urls")),
    path("todo/", include("sixcore.workbench.urls")),
    path("", include("sixcore.plan.urls")),
]
