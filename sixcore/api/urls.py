"""The REST API under /api/: OpenAPI schema at /api/schema/, interactive docs at /api/docs/.

- ``plan/…``: the plan, read-only and public (``?revision=N``, default the latest).
- ``progress/…``: the quarterly cycle, read and written within the caller's scope.
- ``follow-ups/…``: follow-up items (追蹤事項), NDC's rulings and the owners' 辦理情形 (followups/api).
- ``annual-evaluations/…``: the year-end evaluation (年度評核), read and scored within the caller's scope.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("plan/industries", views.IndustryViewSet, basename="plan-industry")
router.register("plan/measures", views.MeasureViewSet, basename="plan-measure")
router.register("plan/budget", views.BudgetViewSet, basename="plan-budget")
router.register("plan/agencies", views.AgencyViewSet, basename="plan-agency")
router.register("progress/periods", views.PeriodViewSet, basename="progress-period")
router.register("progress/submissions", views.SubmissionViewSet, basename="progress-submission")
router.register("progress/kpi-reports", views.KPIReportViewSet, basename="progress-kpi-report")

# KPIs and work items are named by two codes (6.2.2 is printed under two measures), so their detail
# routes have two path parameters, which a router cannot express.
kpi_list = views.KPIViewSet.as_view({"get": "list"})
kpi_detail = views.KPIViewSet.as_view({"get": "retrieve"})
work_item_list = views.WorkItemViewSet.as_view({"get": "list"})
work_item_detail = views.WorkItemViewSet.as_view({"get": "retrieve"})

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("supplies/", include("sixcore.supplies.api.urls")),
    path("field-verifications/", include("sixcore.fieldwork.api.urls")),
    path("follow-ups/", include("sixcore.followups.api.urls")),
    path("", include("sixcore.annual.api.urls")),
    path("plan/kpis/", kpi_list, name="plan-kpi-list"),
    path("plan/kpis/<str:measure>/<str:code>/", kpi_detail, name="plan-kpi-detail"),
    path("plan/work-items/", work_item_list, name="plan-work-item-list"),
    path("plan/work-items/<str:schedule>/<str:code>/", work_item_detail, name="plan-work-item-detail"),
    *router.urls,
]
