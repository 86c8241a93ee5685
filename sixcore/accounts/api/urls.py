"""The agency register's API, included by the root URLconf under ``/api/plan/`` (see views.py)."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("agencies", views.AgencyViewSet, basename="plan-agency")

urlpatterns = router.urls
