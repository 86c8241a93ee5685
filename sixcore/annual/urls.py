"""/annual/ (list by year), /annual/<pk>/ (an evaluation), /annual/<pk>/<step>/ (a workflow step) and
/annual/setup/<year>/ (NDC: indicators and grade thresholds)."""

from django.urls import path

from . import setup_views, views

app_name = "annual"
urlpatterns = [
    path("", views.evaluation_list, name="list"),
    path("<int:pk>/", views.evaluation_detail, name="evaluation"),
    path("<int:pk>/<slug:action>/", views.evaluation_step, name="step"),
    path("setup/<int:year>/", setup_views.year_setup, name="setup"),
]
