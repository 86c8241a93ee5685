"""The quarterly cycle's API, included by the root URLconf under ``/api/progress/`` (see views.py)."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("periods", views.PeriodViewSet, basename="progress-period")
router.register("submissions", views.SubmissionViewSet, basename="progress-submission")
router.register("kpi-reports", views.KPIReportViewSet, basename="progress-kpi-report")

urlpatterns = router.urls
