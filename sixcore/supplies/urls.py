"""Pages of the strategic supplies watch, under /supplies/."""

from django.urls import path

from . import views

app_name = "supplies"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("alerts/", views.alerts, name="alerts"),
    path("observations/new/", views.observation_new, name="observation_new"),
    path("import/", views.import_view, name="import"),
    path("items/<slug:code>/", views.item_detail, name="item"),
    path("items/<slug:code>/edit/", views.item_edit, name="item_edit"),
]
