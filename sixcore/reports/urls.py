"""/reports/quarterly/111Q2.pdf (odt, docx, pdf, ods, xlsx), /reports/jobs/<uuid>/ (a PDF generated in the background)
and /reports/export/plan.csv (csv zip, ods, xlsx, json)."""

from django.urls import path, re_path

from . import views
from .annual import views as annual_views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    re_path(
        r"^quarterly/(?P<period>\d{2,3}Q[1-4])\.(?P<fmt>odt|docx|pdf|ods|xlsx)$",
        views.quarterly,
        name="quarterly",
    ),
    re_path(
        r"^annual/(?P<year>\d{3})\.(?P<fmt>odt|docx|pdf|ods|xlsx)$",
        annual_views.download,
        name="annual",
    ),
    path("jobs/<uuid:job_id>/", views.job, name="job"),
    path("jobs/<uuid:job_id>/file", views.job_file, name="job_file"),
    re_path(
        r"^export/(?P<dataset>plan|submissions|evaluation)\.(?P<fmt>csv|ods|xlsx|json)$",
        views.export,
        name="export",
    ),
]
