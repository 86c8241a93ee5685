"""The API's own pages: the OpenAPI schema at /api/schema/ and the interactive docs at /api/docs/.

Each app's endpoints live in its ``api/urls.py`` and the root URLconf (``sixcore/urls.py``) includes
them under /api/, so this library layer imports no domain app:

- ``plan/…``: the plan, read-only and public (``?revision=N``, default the latest); ``plan/agencies/``
  the agency register (accounts/api).
- ``progress/…``: the quarterly cycle, read and written within the caller's scope (progress/api).
- ``evaluation/…``: KPI lights and roll-ups of a period (evaluation/api).
- ``supplies/…``, ``field-verifications/…``, ``follow-ups/…`` (追蹤事項), ``annual-evaluations/…``
  (年度評核): supplies/api, fieldwork/api, followups/api, annual/api.
"""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
