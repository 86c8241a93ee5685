"""Authentication backend: Django's ``ModelBackend``, loading a session's user with its agency."""

from __future__ import annotations

from django.contrib.auth import backends, get_user_model

from sixcore.core.prepared import Param, PreparedGet

from .sessions import loaded_user

# A primary key no row has: it marks the user id's place in the compiled query.
_PROBE_PK = -(2**62) + 7

_user_with_agency = PreparedGet(
    lambda pk: get_user_model()._default_manager.select_related("agency").filter(pk=pk), Param(_PROBE_PK)
)


class ModelBackend(backends.ModelBackend):
    """Every page names the user's agency in its header (``core/_session_nav.html``): the user is
    loaded with it.  On a request, the session's own query has already read both
    (``accounts/sessions.py``); otherwise one query, compiled once per connection (``core.prepared``).
    Django's checks follow as usual (active user, the session's password hash)."""

    def get_user(self, user_id):
        try:  # the ORM's get would prepare the value the same way
            pk = get_user_model()._meta.pk.get_prep_value(user_id)
        except (TypeError, ValueError):
            return None
        user = loaded_user(pk)
        if user is None:
            user = _user_with_agency.get(pk)
        if user is None:
            return None
        return user if self.user_can_authenticate(user) else None
