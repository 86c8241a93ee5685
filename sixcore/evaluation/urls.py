"""Dashboards under /dashboard/ (``?period=111Q2`` on every page; default the latest visible period)."""

from django.urls import path

from . import views

app_name = "evaluation"
urlpatterns = [
    path("", views.program_dashboard, name="program"),
    path("attention/", views.attention, name="attention"),
    path("industries/<str:code>/", views.industry_dashboard, name="industry"),
    path("agencies/<str:code>/", views.agency_dashboard, name="agency"),
    path("measures/<str:code>/", views.measure_dashboard, name="measure"),
    path("measures/<str:code>/timeline/", views.timeline, name="timeline"),
    path("measures/<str:measure_code>/kpis/<str:code>/", views.kpi_dashboard, name="kpi"),
]
