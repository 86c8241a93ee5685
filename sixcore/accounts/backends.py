"""Authentication backend: Django's ``ModelBackend``, loading a session's user with its agency."""

from __future__ import annotations

from django.contrib.auth import backends, get_user_model


class ModelBackend(backends.ModelBackend):
    """Every page names the user's agency in its header (``core/_session_nav.html``): loaded in the
    user's query instead of a second one on each request."""

    def get_user(self, user_id):
        model = get_user_model()
        try:
            user = model._default_manager.select_related("agency").get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
