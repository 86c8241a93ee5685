"""Excel round-trip routes, included at /progress/excel/ (names in the ``progress`` namespace)."""

from django.urls import path

from . import excel_views

urlpatterns = [
    path("download/", excel_views.download, name="excel_download"),
    path("upload/", excel_views.upload, name="excel_upload"),
]
