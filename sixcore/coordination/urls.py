from django.urls import path

from . import views

app_name = "coordination"
urlpatterns = [
    path("", views.index, name="index"),
    path("issues/new/", views.issue_new, name="issue_new"),
    path("issues/<int:pk>/", views.issue_detail, name="issue"),
    path("issues/<int:pk>/close/", views.issue_transition, {"action": "close"}, name="issue_close"),
    path("issues/<int:pk>/reopen/", views.issue_transition, {"action": "reopen"}, name="issue_reopen"),
    path("meetings/new/", views.meeting_new, name="meeting_new"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("decisions/<int:pk>/", views.decision_detail, name="decision"),
    path("decisions/<int:pk>/close/", views.decision_transition, {"action": "close"}, name="decision_close"),
    path(
        "decisions/<int:pk>/reopen/", views.decision_transition, {"action": "reopen"}, name="decision_reopen"
    ),
    path(
        "decisions/<int:pk>/publish/",
        views.decision_transition,
        {"action": "publish"},
        name="decision_publish",
    ),
    path(
        "decisions/<int:pk>/unpublish/",
        views.decision_transition,
        {"action": "unpublish"},
        name="decision_unpublish",
    ),
]
