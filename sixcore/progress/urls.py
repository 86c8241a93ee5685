from django.urls import include, path

from . import views

app_name = "progress"
urlpatterns = [
    path("", views.submission_list, name="submissions"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission"),
    path("submissions/<int:pk>/attachments/", views.attachment_upload, name="attachment_upload"),
    path(
        "submissions/<int:pk>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"
    ),
    path("submissions/<int:pk>/<slug:action>/", views.submission_transition, name="transition"),
    path("bulk-approve/", views.bulk_approve, name="bulk_approve"),
    path("periods/<str:code>/reopen/", views.reopen_period, name="reopen_period"),
    path("excel/", include("sixcore.progress.excel_urls")),
]
