from django.urls import path

from . import views

app_name = "fieldwork"
urlpatterns = [
    path("", views.index, name="index"),
    path("candidates/", views.candidates, name="candidates"),
    path("new/", views.new, name="new"),
    path("items/add/", views.items_add, name="items_add"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/items/<int:item_pk>/findings/", views.findings, name="findings"),
    path("<int:pk>/items/<int:item_pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path(
        "<int:pk>/items/<int:item_pk>/recommendations/", views.recommendation_add, name="recommendation_add"
    ),
    path("<int:pk>/evidence/<int:evidence_id>/", views.evidence_download, name="evidence"),
    path(
        "<int:pk>/recommendations/<int:recommendation_id>/delete/",
        views.recommendation_delete,
        name="recommendation_delete",
    ),
    path("<int:pk>/complete/", views.step, {"action": "complete"}, name="complete"),
    path("<int:pk>/publish/", views.step, {"action": "publish"}, name="publish"),
    path("<int:pk>/reopen/", views.step, {"action": "reopen"}, name="reopen"),
    path("<int:pk>/cancel/", views.step, {"action": "cancel"}, name="cancel"),
]
