"""API routes of the year-end evaluation, included at /api/: the evaluations at
/api/annual-evaluations/, the year's set-up beside them (indicators, grades, calendar; registered
first, so that their names are never taken for an evaluation id)."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("annual-evaluations/indicators", views.IndicatorViewSet, basename="annual-indicator")
router.register("annual-evaluations/grades", views.GradeThresholdViewSet, basename="annual-grade")
router.register("annual-evaluations/cycles", views.CycleViewSet, basename="annual-cycle")
router.register("annual-evaluations", views.AnnualEvaluationViewSet, basename="annual-evaluation")

urlpatterns = router.urls
