"""API routes of follow-up items, included at /api/follow-ups/."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("", views.FollowUpViewSet, basename="follow-up")
urlpatterns = router.urls
