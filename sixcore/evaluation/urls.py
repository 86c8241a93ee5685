"""Dashboards under /dashboard/ (``?period=111Q2`` on every page; default the latest visible period)."""

from django.urls import path

from .views.attention import attention
from .views.dashboards import agency_dashboard, industry_dashboard, measure_dashboard, program_dashboard
from .views.details import kpi_dashboard, timeline

app_name = "evaluation"
urlpatterns = [
    path("", program_dashboard, name="program"),
    path("attention/", attention, name="attention"),
    path("industries/<str:code>/", industry_dashboard, name="industry"),
    path("agencies/<str:code>/", agency_dashboard, name="agency"),
    path("measures/<str:code>/", measure_dashboard, name="measure"),
    path("measures/<str:code>/timeline/", timeline, name="timeline"),
    path("measures/<str:measure_code>/kpis/<str:code>/", kpi_dashboard, name="kpi"),
]
