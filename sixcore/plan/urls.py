from django.urls import path

from . import views

app_name = "plan"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("industries/<str:code>/", views.industry_detail, name="industry"),
    path("measures/<str:code>/", views.measure_detail, name="measure"),
    path("measures/<str:measure_code>/kpis/<str:code>/", views.kpi_detail, name="kpi"),
]
