"""Whole-response cache of read-only pages and API lists, keyed by everything the response depends on.

A dashboard or an API list is a pure function of (what the user may see, the URL with its query, the
language, the data, the date the cycle is judged at).  The key holds all of them:

* the user: ``public`` for anonymous visitors (approved data only, shared by every visitor), else the
  user's id, role, agency and flags (a re-assigned officer gets new keys);
* the data version: the id and time of the newest change-log entry (``core.ObjectChange``).  Every
  write of a tracked model logs one in its own transaction, bulk writes record theirs (see
  ``core/changelog.py``: "nothing escapes the log"), so any write makes a new key;
* the clock: the real local date, ``SIXCORE_AS_OF`` and an ``as_of()`` block (the NDC as-of date is
  a tracked row: its changes move the data version).

So an entry is never invalidated, only no longer asked for, and a per-process cache is as correct
as a shared one: another app server's write changes the version every server reads before looking
up (one indexed query).  The version is read *before* the response is built, so an entry holds data
at least as new as its key.  Entries expire (``PAGE_CACHE_TIMEOUT``) and the cache culls the oldest.

What varies by request and not by data stays out of the entry: the session bar (user name, the
logout form with its CSRF token) and the flash messages are markers in the stored HTML, rendered for
each request (``core/_session_nav.html``, ``core/_messages.html``).  Only 200 responses of the views
marked ``@cached_page`` / ``CachedListMixin`` are stored; a view that sets cookies is not.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.template.context_processors import csrf
from django.template.loader import get_template
from django.utils import timezone, translation

SESSION_MARK = b"<!--sixcore:session-nav-->"
MESSAGES_MARK = b"<!--sixcore:messages-->"
# The attribute templates test (``{% if request.sixcore_cached_page %}``) to write the markers.
REQUEST_FLAG = "sixcore_cached_page"


def enabled() -> bool:
    return bool(getattr(settings, "SIXCORE_PAGE_CACHE", True))


# The table name is the model's, a constant of ours (no user input reaches this SQL).
_LATEST_CHANGE_SQL = 'SELECT "id", "time" FROM "core_objectchange" ORDER BY "id" DESC LIMIT 1'


def data_version() -> str:
    """The newest change-log entry, as ``"<id>.<time>"`` (the time too: after a restore or a test
    flush an id can come back, its time does not)."""
    from django.db import connections, router

    from .models import ObjectChange

    # Raw SQL: this runs on every cached request, where compiling the ORM query cost as much as
    # sending it. The time is read as stored (text on SQLite, a timestamp on PostgreSQL).
    connection = connections[router.db_for_read(ObjectChange)]
    with connection.cursor() as cursor:
        cursor.execute(_LATEST_CHANGE_SQL)
        row = cursor.fetchone()
    return "0" if row is None else f"{row[0]}.{row[1]}"


def clock_key() -> str:
    """The date lights and deadlines are judged at, without the database (its stored as-of date is
    covered by the data version)."""
    from sixcore.progress import clock

    return f"{timezone.localdate()}:{os.environ.get('SIXCORE_AS_OF', '')}:{clock.override() or ''}"


def viewer_key(user) -> str:
    """Who the response is for: everything of the user that decides what a page shows."""
    if not getattr(user, "is_authenticated", False):
        return "public"
    return (
        f"u{user.pk}:{user.role}:{user.agency_id}:{int(user.is_active)}:{int(user.is_staff)}:"
        f"{int(user.is_superuser)}"
    )


def cache_key(request: HttpRequest, name: str, *extra: str) -> str:
    parts = (
        name,
        request.get_full_path(),
        viewer_key(request.user),
        translation.get_language() or "",
        request.headers.get("HX-Request", ""),
        clock_key(),
        data_version(),
        *extra,
    )
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=20).hexdigest()
    return f"sixcore:page:{digest}"


def _cache():
    return caches[getattr(settings, "SIXCORE_PAGE_CACHE_ALIAS", "default")]


def _timeout() -> int:
    return int(getattr(settings, "PAGE_CACHE_TIMEOUT", 15 * 60))


def _storable(response: HttpResponse) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not response.has_header("Content-Disposition")
    )


def _rebuild(entry: tuple[str, bytes]) -> HttpResponse:
    content_type, body = entry
    return HttpResponse(body, content_type=content_type)


def _session_nav(request: HttpRequest) -> bytes:
    if not request.user.is_authenticated:  # the same for every visitor: rendered once per language
        return _public_nav(translation.get_language() or "")
    return (
        get_template("core/_session_nav.html")
        .render({"user": request.user, "request": request, **csrf(request)})  # the token made only if shown
        .encode()
    )


@functools.lru_cache(maxsize=8)
def _public_nav(language: str) -> bytes:
    return get_template("core/_session_nav.html").render({}).encode()


def fill_markers(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Render this request's session bar and messages into a page built with markers."""
    body = response.content
    if SESSION_MARK in body:
        body = body.replace(SESSION_MARK, _session_nav(request))
    if MESSAGES_MARK in body:
        messages = get_messages(request)
        shown = get_template("core/_messages.html").render({"messages": messages}) if messages else ""
        body = body.replace(MESSAGES_MARK, shown.encode())
    response.content = body
    return response


def cached_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve a read-only HTML view from the page cache (module docstring); GET only."""

    name = f"{view.__module__}.{view.__qualname__}"

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "GET" or not enabled():
            return view(request, *args, **kwargs)
        key = cache_key(request, name)
        cache = _cache()
        entry = cache.get(key)
        if entry is not None:
            return fill_markers(request, _rebuild(entry))
        setattr(request, REQUEST_FLAG, True)
        response = view(request, *args, **kwargs)
        if _storable(response):
            cache.set(key, (response["Content-Type"], response.content), _timeout())
        return fill_markers(request, response)

    return wrapper


def cached_api_response(view, request, build: Callable[[], Any]) -> Any:
    """A DRF view's JSON response from the page cache, else ``build()`` rendered and stored.  Called
    from the handler, after authentication, permissions and content negotiation (``initial``)."""
    if not enabled() or request.accepted_renderer.format != "json":
        return build()
    key = cache_key(request._request, f"{type(view).__module__}.{type(view).__qualname__}", "json")
    cache = _cache()
    entry = cache.get(key)
    if entry is not None:
        return _rebuild(entry)
    response = build()
    if response.status_code != 200:
        return response
    # Rendered here (as ``finalize_response`` would) so that the bytes can be stored.
    response.accepted_renderer = request.accepted_renderer
    response.accepted_media_type = request.accepted_media_type
    response.renderer_context = view.get_renderer_context()
    response.render()
    if _storable(response):
        cache.set(key, (response["Content-Type"], response.content), _timeout())
    return response


class CachedListMixin:
    """For DRF viewsets: ``list`` served from the page cache (JSON only)."""

    def list(self, request, *args: Any, **kwargs: Any):
        return cached_api_response(
            self, request, lambda: super(CachedListMixin, self).list(request, *args, **kwargs)
        )


class CachedGetMixin:
    """For DRF ``APIView``s with a read-only ``get``: served from the page cache (JSON only)."""

    def get(self, request, *args: Any, **kwargs: Any):
        return cached_api_response(
            self, request, lambda: super(CachedGetMixin, self).get(request, *args, **kwargs)
        )
