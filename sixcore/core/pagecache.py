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
logout form with its CSRF token), the flash messages and the CSRF token of the page's own forms are
markers in the stored HTML, filled for each request (``core/_session_nav.html``,
``core/_messages.html``, ``csrf_marker``).  Only 200 responses of the views marked ``@cached_page``
/ ``CachedListMixin`` are stored; a view that sets cookies is not.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.crypto import salted_hmac
from django.utils.functional import LazyObject
from django.utils.text import compress_string
from rest_framework.authentication import SessionAuthentication

SESSION_MARK = b"<!--sixcore:session-nav-->"
MESSAGES_MARK = b"<!--sixcore:messages-->"
# ``gzip`` among the accepted encodings, not refused by ``q=0`` (Django's GZipMiddleware ignores q).
_ACCEPTS_GZIP = re.compile(r"(?:^|,)\s*gzip\s*(?:,|$|;(?!\s*q\s*=\s*0(?:\.0*)?\s*(?:,|$)))", re.I)
# The attribute templates test (``{% if request.sixcore_cached_page %}``) to write the markers.
REQUEST_FLAG = "sixcore_cached_page"


def enabled() -> bool:
    return bool(getattr(settings, "SIXCORE_PAGE_CACHE", True))


# The table name is the model's, a constant of ours (no user input reaches this SQL).
_LATEST_CHANGE_SQL = 'SELECT "id", "time" FROM "core_objectchange" ORDER BY "id" DESC LIMIT 1'


def data_version(request: HttpRequest | None = None) -> str:
    """The newest change-log entry, as ``"<id>.<time>"`` (the time too: after a restore or a test
    flush an id can come back, its time does not).

    A signed-in request's first query has already read it (``accounts/sessions.py``: session, user,
    agency and this in one round trip; an API token's the same, ``api/authentication.py``): that
    reading, made at the start of this request, is used.  Otherwise one query."""
    known = getattr(request, DATA_VERSION_ATTRIBUTE, None)
    if known is None:
        known = getattr(getattr(request, "session", None), "data_version", None)
    if known is not None:
        return known
    from django.db import connections, router

    from .models import ObjectChange
    from .prepared import prepared_cursor

    # Raw SQL, prepared by PostgreSQL: this runs on every cached request, where compiling the ORM
    # query cost as much as sending it. The time is read as stored (text on SQLite, a timestamp on PostgreSQL).
    connection = connections[router.db_for_read(ObjectChange)]
    with prepared_cursor(connection) as cursor:
        cursor.execute(_LATEST_CHANGE_SQL)
        row = cursor.fetchone()
    return version_of(row)


def version_of(latest: tuple[Any, Any] | None) -> str:
    """The data version of the newest change-log entry's (id, time) as stored, or of none."""
    return "0" if latest is None or latest[0] is None else f"{latest[0]}.{latest[1]}"


# Where an API request's token query leaves the data version it read (on the Django request).
DATA_VERSION_ATTRIBUTE = "sixcore_data_version"


def latest_change_columns() -> dict[str, Any]:
    """``annotate()`` arguments giving any query the newest change-log entry's id and time as
    stored (what ``data_version`` reads), for a query that runs first on every request anyway."""
    from django.db.models import CharField, IntegerField, Subquery

    from .models import ObjectChange

    latest = ObjectChange.objects.order_by("-id")
    return {
        # The time as text: what the raw query gives on SQLite; on PostgreSQL the driver's datetime.
        "latest_change_id": Subquery(latest.values("id")[:1], output_field=IntegerField()),
        "latest_change_time": Subquery(latest.values("time")[:1], output_field=CharField()),
    }


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


def _user(request: HttpRequest) -> Any:
    """``request.user`` itself, not the lazy proxy Django's middleware puts there (resolved here if it
    was not yet): every attribute read through the proxy costs two Python-level calls, and the key
    and the session bar read a dozen."""
    user = request.user
    if not isinstance(user, LazyObject):
        return user
    user.is_authenticated  # noqa: B018 -- the read makes the proxy load its user
    return user._wrapped


def cache_key(request: HttpRequest, name: str, *extra: str) -> str:
    parts = (
        name,
        request.get_full_path(),
        viewer_key(_user(request)),
        translation.get_language() or "",
        request.headers.get("HX-Request", ""),
        clock_key(),
        data_version(request),
        # The mark stored pages hold: after a SECRET_KEY change, pages stored with the old one are not
        # read (a shared cache outlives the processes that filled it).
        csrf_mark(),
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
    language, prefix = translation.get_language() or "", get_script_prefix()
    user = _user(request)
    if not user.is_authenticated:  # the same for every visitor: rendered once per language
        return _public_nav(language, prefix)
    # Rendered once per name, agency and language, with a mark where this request's CSRF token goes
    # (``get_token``: a fresh mask each time, the session's secret).
    agency = user.agency.name if user.agency_id else None
    before, after = _signed_in_nav(language, prefix, str(user), agency)
    return before + csrf_token(request).encode() + after


def csrf_token(request: HttpRequest) -> str:
    """``django.middleware.csrf.get_token(request)``: the same kind of token, the request's secret
    under a fresh random mask, which ``CsrfViewMiddleware`` unmasks.  The mask comes from one
    ``secrets.token_bytes`` call instead of Django's 32 ``secrets.choice`` calls (42 → 8 µs), on
    every signed-in page served from the cache.

    The same side effects, but one: a first visit gets Django's new secret and cookie, an anonymous
    visitor's cookie is sent again (Django re-sends it on every use, to restart its year), a signed-in
    user's is not.  Their login sent it afresh (``rotate_token``) with a year to live, and the session
    it serves ends 8 hours after its last change (``SESSION_COOKIE_AGE``) or with the browser, so the
    cookie outlives it; re-sending it on every page cost a ``Set-Cookie`` header (≈ 35 µs of CPU)."""
    secret = request.META.get("CSRF_COOKIE")
    if secret is None:
        return get_token(request)  # a first visit: Django makes the secret and its cookie
    if not (hasattr(request, "user") and _user(request).is_authenticated):
        request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    return _masked(secret)


_CSRF_INDEX = {char: i for i, char in enumerate(CSRF_ALLOWED_CHARS)}
# Bytes below the largest multiple of the alphabet's size are taken modulo it (uniform); others redrawn.
_CSRF_BYTE_LIMIT = 256 - 256 % len(CSRF_ALLOWED_CHARS)


def _masked(secret: str) -> str:
    """As Django's ``_mask_cipher_secret``: a uniformly random mask of the secret's length, then
    each secret character shifted by the mask's, in ``CSRF_ALLOWED_CHARS``."""
    chars, size = CSRF_ALLOWED_CHARS, len(CSRF_ALLOWED_CHARS)
    mask: list[int] = []
    while len(mask) < CSRF_SECRET_LENGTH:
        mask += [byte % size for byte in secrets.token_bytes(48) if byte < _CSRF_BYTE_LIMIT]
    del mask[CSRF_SECRET_LENGTH:]
    index = _CSRF_INDEX
    return "".join(chars[m] for m in mask) + "".join(
        chars[(index[c] + m) % size] for c, m in zip(secret, mask, strict=True)
    )


@functools.lru_cache(maxsize=8)
def _public_nav(language: str, prefix: str) -> bytes:
    return get_template("core/_session_nav.html").render({}).encode()


@functools.cache
def csrf_mark() -> str:
    """Where a CSRF token goes in the session bar and in a stored page.  The same in every process
    that shares the cache (another worker or server fills a page this one stored), so derived from
    the ``SECRET_KEY`` they share; unknowable without it, so that no name or text can contain it."""
    digest = salted_hmac("sixcore.core.pagecache.csrf_mark", "page cache", algorithm="sha256").hexdigest()
    return f"sixcore-csrf-{digest[:32]}"


@functools.lru_cache(maxsize=512)
def _signed_in_nav(language: str, prefix: str, name: str, agency: str | None) -> tuple[bytes, bytes]:
    """The signed-in session bar of a user so named and of that agency, split at the CSRF token; the
    template reads nothing else of the user (a test renders both ways and compares)."""
    viewer, mark = _NavUser(name, agency), csrf_mark()
    html = get_template("core/_session_nav.html").render({"user": viewer, "csrf_token": mark})
    if html.count(mark) != 1:
        raise ImproperlyConfigured("core/_session_nav.html must show the CSRF token exactly once")
    before, _, after = html.partition(mark)
    return before.encode(), after.encode()


class _NavUser:
    """What ``core/_session_nav.html`` reads of a signed-in user."""

    is_authenticated = True

    def __init__(self, name: str, agency: str | None) -> None:
        self.name = name
        self.agency = _NavAgency(agency) if agency is not None else None

    def __str__(self) -> str:
        return self.name


class _NavAgency:
    def __init__(self, name: str) -> None:
        self.name = name


def csrf_marker(request: HttpRequest) -> dict[str, str]:
    """Context processor (after Django's own ``csrf``, which it overrides): while a page is rendered
    for the cache, ``{% csrf_token %}`` writes a mark, not this request's token, which a request
    with another CSRF cookie (the same officer in another browser) could not post with.
    ``fill_markers`` puts each request's token there."""
    return {"csrf_token": csrf_mark()} if getattr(request, REQUEST_FLAG, False) else {}


def fill_markers(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Render this request's session bar, messages and CSRF token into a page built with markers."""
    body = response.content
    private = False
    if SESSION_MARK in body:
        body = body.replace(SESSION_MARK, _session_nav(request))
        private = _user(request).is_authenticated
    mark = csrf_mark().encode()
    if mark in body:  # the page's own forms
        body = body.replace(mark, csrf_token(request).encode())
        private = True
    if MESSAGES_MARK in body:
        messages = get_messages(request)
        shown = get_template("core/_messages.html").render({"messages": messages}) if messages else ""
        body = body.replace(MESSAGES_MARK, shown.encode())
    response.content = body
    if private and not response.has_header("Cache-Control"):
        # This visitor's CSRF token (and, signed in, what their scope shows): no shared cache may keep it.
        # (A signed-in page no longer carries a ``Set-Cookie``, which some proxies took as that signal.)
        response["Cache-Control"] = "private"
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
        try:
            response = view(request, *args, **kwargs)
        finally:  # an error page rendered after this (e.g. a 404 template) gets no markers
            delattr(request, REQUEST_FLAG)
        if _storable(response):
            cache.set(key, (response["Content-Type"], response.content), _timeout())
        return fill_markers(request, response)

    return wrapper


def cached_api_response(view, request, build: Callable[[], Any]) -> Any:
    """A DRF view's JSON response from the page cache, else ``build()`` rendered and stored.  Called
    from the handler, after authentication, permissions and content negotiation (``initial``).

    The entry also keeps the body gzip-compressed (once, when stored: the list of KPIs is 242 KB of
    JSON, 27 KB compressed), sent to clients that accept gzip unless the request is signed in by
    its session cookie: compressing a secret next to what an attacker's page makes a browser send is
    how BREACH reads it, and only a cookie travels with a cross-site request (a token or the public
    cannot be made to)."""
    if not enabled() or request.accepted_renderer.format != "json":
        return build()
    # "gz": entries hold the compressed body too (a server of an older release keeps 2-tuples).
    key = cache_key(request._request, f"{type(view).__module__}.{type(view).__qualname__}", "json", "gz")
    cache = _cache()
    entry = cache.get(key)
    if entry is not None:
        return _api_response(request, entry)
    response = build()
    if response.status_code != 200:
        return response
    # Rendered here (as ``finalize_response`` would) so that the bytes can be stored.
    response.accepted_renderer = request.accepted_renderer
    response.accepted_media_type = request.accepted_media_type
    response.renderer_context = view.get_renderer_context()
    response.render()
    if not _storable(response):
        return response
    entry = (response["Content-Type"], response.content, _gzipped(response.content))
    cache.set(key, entry, _timeout())
    return _api_response(request, entry)


_GZIP_FROM = 1024  # bytes: below this, compressing saves less than it costs


def _gzipped(body: bytes) -> bytes | None:
    # ``compress_string``: gzip with a fixed (zero) time, so that the same body compresses alike.
    return compress_string(body) if len(body) >= _GZIP_FROM else None


def _api_response(request, entry: tuple) -> HttpResponse:
    content_type, body, gzipped = entry
    if gzipped is None or isinstance(request.successful_authenticator, SessionAuthentication):
        return _rebuild((content_type, body))  # never compressed (above): the same answer, no Vary
    accepts_gzip = _ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", ""))
    response = _rebuild((content_type, gzipped if accepts_gzip else body))
    if accepts_gzip:
        response["Content-Encoding"] = "gzip"
    patch_vary_headers(response, ("Accept-Encoding",))
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
