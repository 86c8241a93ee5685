from django.urls import path

from . import views

app_name = "revisions"
urlpatterns = [
    path("", views.revision_list, name="list"),
    path("<int:number>/", views.revision_detail, name="detail"),
    path("<int:number>/kpi/<str:measure_code>/<str:code>/", views.kpi_edit, name="kpi_edit"),
    path("<int:number>/work-item/", views.work_item_edit, name="work_item_edit"),
    path("<int:number>/budget/", views.budget_edit, name="budget_edit"),
    path("<int:number>/add-kpi/", views.kpi_add, name="kpi_add"),
    path("<int:number>/upload/", views.upload, name="upload"),
    path("<int:number>/approve/", views.decide, {"action": "approve"}, name="approve"),
    path("<int:number>/reject/", views.decide, {"action": "reject"}, name="reject"),
    path("<int:a>/diff/<int:b>/", views.diff_view, name="diff"),
    path("kpi/<str:measure_code>/<str:code>/", views.kpi_targets, name="kpi_targets"),
]
