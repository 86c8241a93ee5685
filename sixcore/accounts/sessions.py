"""Session engine: Django's database sessions, read together with the signed-in user.

Every signed-in request reads its session, then its user.  Django's engine reads the session with
``Session.objects.get(session_key=key, expire_date__gt=now)`` and the backend the user with another
query, each compiled by the ORM anew (compiling costs more than running: 0.55 ms of CPU against
0.12 ms on PostgreSQL with ``bench/bench_web.py``'s server).  Here the session row carries the
user's id (``accounts.Session.user``, written from the session's data each time it is saved), and one
query, compiled once per connection (``core.prepared``), reads the session, its user and the user's
agency, and also the newest change-log entry: the data version the page cache keys this request's
answer by (``core/pagecache.py``), so that a signed-in page from the cache costs one round trip, as
a public one does.  ``ModelBackend.get_user`` takes that user (``loaded_user``) instead of querying again;
Django's own checks still run on it (active user, the session's password hash).

Writes, expiry, keys and signing are Django's ``db`` engine unchanged.
"""

from __future__ import annotations

import datetime
import functools
import logging
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends import db
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils import timezone

from sixcore.core import pagecache
from sixcore.core.prepared import Param, PreparedGet, adapt_datetime

# Values no session has: they mark the key's and the time's places in the compiled query.
_PROBE_KEY = "sixcore:probe:session-key"  # Django's keys are 32 lowercase letters and digits
_PROBE_TIME = datetime.datetime(1901, 1, 1, tzinfo=datetime.UTC)


def _live_session(key: str, now: datetime.datetime):
    from .models import Session

    return (
        Session.objects.select_related("user__agency")
        .filter(session_key=key, expire_date__gt=now)
        .annotate(**pagecache.latest_change_columns())
    )


_session_with_user = PreparedGet(_live_session, Param(_PROBE_KEY), Param(_PROBE_TIME, adapt_datetime))

# The session of the request being served (``CurrentSessionMiddleware``), whose query read its user.
_current_session: ContextVar[Any] = ContextVar("sixcore_current_session", default=None)


def loaded_user(pk: Any):
    """The user the current request's session query read, if that user is ``pk``; else None."""
    session = _current_session.get()
    found = getattr(session, "_loaded_user", None)
    if found is None or found[0] != pk:
        return None
    return found[1]


def _user_pk(value: Any) -> Any:
    if value is None:
        return None
    try:
        return get_user_model()._meta.pk.to_python(value)
    except ValidationError:
        return None


class SessionStore(db.SessionStore):
    @classmethod
    def get_model_class(cls):
        from .models import Session

        return Session

    def create_model_instance(self, data: dict[str, Any]):
        instance = super().create_model_instance(data)
        instance.user_id = _user_pk(data.get(SESSION_KEY))
        return instance

    async def acreate_model_instance(self, data: dict[str, Any]):
        instance = await super().acreate_model_instance(data)
        instance.user_id = _user_pk(data.get(SESSION_KEY))
        return instance

    def decode(self, session_data: str) -> dict[str, Any]:
        """Django's ``decode``, the signature checked and the payload decompressed once per distinct
        stored value (``_verified_payload``); only the JSON is read on each request."""
        try:
            keys = (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)
            return self.serializer().loads(_verified_payload(session_data, self.key_salt, keys))
        except signing.BadSignature:
            logging.getLogger("django.security.SuspiciousSession").warning("Session data corrupted")
            return {}
        except Exception:  # as Django: an unreadable session is an empty one
            return {}

    def _get_session_from_db(self):
        session = _session_with_user.get(self.session_key, timezone.now())
        if session is None:
            self._session_key = None  # as Django does for a key that matches no live session
            return None
        self._loaded_user = (session.user_id, session.user)
        # Read in the same statement (one snapshot): the page cache's key for this request.
        self.data_version = pagecache.version_of((session.latest_change_id, session.latest_change_time))
        return session


class _Payload:
    """A ``signing`` serializer that leaves the verified, decompressed payload as bytes."""

    def loads(self, data: bytes) -> bytes:
        return data


@functools.lru_cache(maxsize=2048)
def _verified_payload(session_data: str, salt: str, keys: tuple[str, ...]) -> bytes:
    """The payload of a stored session, its signature checked (``signing.loads``, as Django's
    ``decode``; a bad one raises, and nothing is kept).  The same stored value is read on every request
    of its session: the HMAC, base64 and zlib steps (20 µs) run once per value.  ``keys``, the
    secret keys it is checked against (``SECRET_KEY``, then the fallbacks), are part of the cache key:
    a value verified under keys since changed is checked again."""
    key, *fallbacks = keys
    return signing.loads(session_data, key=key, fallback_keys=fallbacks, salt=salt, serializer=_Payload)


class CurrentSessionMiddleware:
    """Right after ``SessionMiddleware``: for the length of the request, its session is the one
    ``loaded_user`` looks at (never another request's)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        token = _current_session.set(request.session)
        try:
            return self.get_response(request)
        finally:
            _current_session.reset(token)
