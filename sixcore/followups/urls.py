from django.urls import path

from . import views

app_name = "followups"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
]
urlpatterns += [
    path(f"<int:pk>/{action}/", views.transition, {"action": action}, name=action)
    for action in ("close", "keep", "reopen", "publish", "unpublish")
]
