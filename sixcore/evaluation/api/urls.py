"""The evaluation API under /api/evaluation/ (see views.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("kpis/", views.KpiEvaluationView.as_view(), name="evaluation-kpis"),
    path("rollups/", views.RollUpView.as_view(), name="evaluation-rollups"),
]
