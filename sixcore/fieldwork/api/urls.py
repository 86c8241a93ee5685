"""API routes of field verification, included at /api/field-verifications/."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("", views.FieldVerificationViewSet, basename="field-verification")

urlpatterns = router.urls
