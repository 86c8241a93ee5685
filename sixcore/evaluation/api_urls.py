"""The evaluation API under /api/evaluation/ (see api.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("kpis/", api.KpiEvaluationView.as_view(), name="evaluation-kpis"),
    path("rollups/", api.RollUpView.as_view(), name="evaluation-rollups"),
]
