"""API routes of the supplies watch, included at /api/supplies/."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("items", views.SupplyItemViewSet, basename="supplies-item")
router.register("minimums", views.MinimumViewSet, basename="supplies-minimum")
router.register("reporters", views.ReporterViewSet, basename="supplies-reporter")
router.register("assignments", views.AssignmentViewSet, basename="supplies-assignment")
router.register("observations", views.ObservationViewSet, basename="supplies-observation")
router.register("alerts", views.AlertViewSet, basename="supplies-alert")

urlpatterns = [
    path("status/", views.StatusView.as_view(), name="supplies-status"),
    path("import/", views.ImportView.as_view(), name="supplies-import"),
    path("", include(router.urls)),
]
