"""The plan API, included by the root URLconf under ``/api/plan/`` (see views.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("industries", views.IndustryViewSet, basename="plan-industry")
router.register("measures", views.MeasureViewSet, basename="plan-measure")
router.register("budget", views.BudgetViewSet, basename="plan-budget")

# KPIs and work items are named by two codes (6.2.2 is printed under two measures), so their detail
# routes have two path parameters, which a router cannot express.
kpi_list = views.KPIViewSet.as_view({"get": "list"})
kpi_detail = views.KPIViewSet.as_view({"get": "retrieve"})
work_item_list = views.WorkItemViewSet.as_view({"get": "list"})
work_item_detail = views.WorkItemViewSet.as_view({"get": "retrieve"})

urlpatterns = [
    path("kpis/", kpi_list, name="plan-kpi-list"),
    path("kpis/<str:measure>/<str:code>/", kpi_detail, name="plan-kpi-detail"),
    path("work-items/", work_item_list, name="plan-work-item-list"),
    path("work-items/<str:schedule>/<str:code>/", work_item_detail, name="plan-work-item-detail"),
    *router.urls,
]
