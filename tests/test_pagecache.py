"""The page cache (core/pagecache.py): a cached response is the response the view would give now, to
this user; writes, the clock and the user change the key; the session bar, CSRF token and messages
are per request; only plain 200 responses are kept."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.http import HttpResponse
from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    CSRF_SECRET_LENGTH,
    CSRF_TOKEN_LENGTH,
    _unmask_cipher_token,
)
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from sixcore.accounts.models import Agency
from sixcore.core import pagecache
from sixcore.progress.models import CycleSettings, KPIReport, ReportingPeriod, Submission
from tests.factories import editor, ndc_admin, ndc_reviewer, viewer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from portfolio import generate_reports  # noqa: E402

PAGES = [
    "/",
    "/industries/1/",
    "/measures/1.2/kpis/1.2.2/",
    "/dashboard/?period=111Q2",
    "/dashboard/",
    "/dashboard/industries/1/?period=111Q2",
    "/dashboard/measures/1.2/?period=111Q2",
    "/dashboard/agencies/moea/?period=111Q2",
    "/dashboard/measures/1.2/kpis/1.2.2/?period=111Q2",
    "/dashboard/measures/1.2/timeline/?period=111Q2",
    "/dashboard/attention/?period=111Q2",
    "/progress/",
    "/progress/?period=111Q2",
]
API = [
    "/api/plan/kpis/?limit=20",
    "/api/progress/submissions/",
    "/api/progress/submissions/?period=111Q2&limit=5",
    "/api/evaluation/kpis/?period=111Q2",
    "/api/evaluation/rollups/?period=111Q2&by=agency",
]
# A real token only (64 letters and digits): a mark left in a page would show as a difference.
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[A-Za-z0-9]{64}"')


@pytest.fixture
def reports(program):
    """111Q2 reports of the seed program (seeded, 示範資料): most approved, some drafts of each agency."""
    period = ReportingPeriod.by_code("111Q2")
    generate_reports([period])
    # Drafts exist, so that agencies and NDC see different data.
    Submission.objects.filter(period=period, agency__code="most").update(status="draft")
    return period


def clients() -> dict[str, Client]:
    signed_in = {
        "ndc_admin": ndc_admin(),
        "ndc_reviewer": ndc_reviewer(),
        "moea_editor": editor("moea"),
        "most_editor": editor("most"),
        "most_viewer": viewer("most"),
    }
    found = {"public": Client()}
    for name, user in signed_in.items():
        found[name] = Client()
        found[name].force_login(user)
    return found


def body(response) -> bytes:
    return CSRF.sub(b'name="csrfmiddlewaretoken" value="-"', response.content)


def test_a_cached_response_is_what_the_view_gives_that_user(reports, settings):
    """Every page and API list, for seven kinds of user in turn (so that an entry leaking from one
    user to another would show): the cached response equals the view's own, byte for byte but the
    CSRF token's mask."""
    users = clients()
    settings.SIXCORE_PAGE_CACHE = False
    expected = {
        (url, name): (c.get(url).status_code, body(c.get(url)))
        for url in PAGES + API
        for name, c in users.items()
    }
    assert len({v for (url, _), v in expected.items() if url == "/api/progress/submissions/"}) >= 3

    settings.SIXCORE_PAGE_CACHE = True
    for _ in range(2):  # the first round fills the cache, the second is served from it
        for url in PAGES + API:
            for name, c in users.items():
                response = c.get(url)
                assert (response.status_code, body(response)) == expected[(url, name)], (url, name)


def test_a_hit_costs_one_query_signed_in_or_not(reports):
    client = Client()
    client.force_login(ndc_reviewer())
    url = "/dashboard/?period=111Q2"
    with CaptureQueriesContext(connection) as first:
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert client.get(url).status_code == 200
    assert len(first.captured_queries) > 10
    sqls = [q["sql"] for q in second.captured_queries]
    # The session, its user, the user's agency and the data version in one query (accounts/sessions.py).
    assert len(sqls) == 1, sqls
    tables = ("accounts_session", "accounts_user", "accounts_agency", "core_objectchange")
    assert all(f'"{table}"' in sqls[0] for table in tables), sqls

    public = Client()
    public.get(url)
    with CaptureQueriesContext(connection) as anonymous:
        assert public.get(url).status_code == 200
    assert len(anonymous.captured_queries) == 1  # the data version only


def test_a_write_changes_the_key(reports):
    client = Client()
    client.force_login(ndc_reviewer())
    url = "/dashboard/agencies/moea/?period=111Q2"
    assert "經濟部" in client.get(url).content.decode()
    before = pagecache.data_version()
    agency = Agency.objects.get(code="moea")
    agency.name = "經濟部（改名測試）"
    agency.save()  # a tracked model: its change-log entry moves the data version
    assert pagecache.data_version() != before
    assert "經濟部（改名測試）" in client.get(url).content.decode()


def test_a_new_lead_agency_changes_the_key(reports):
    """An industry's lead agencies decide what its officers may see (their submissions list is
    cached): adding or removing one is a logged change like any other."""
    from sixcore.plan.models import Industry, IndustryLeadAgency

    industry = Industry.objects.order_by("code").first()
    before = pagecache.data_version()
    lead = IndustryLeadAgency.objects.create(
        industry=industry, agency=Agency.objects.get(code="most"), order=9
    )
    added = pagecache.data_version()
    lead.delete()
    assert len({before, added, pagecache.data_version()}) == 3


def test_a_changed_actual_shows_at_once(reports):
    client = Client()
    client.force_login(ndc_admin())
    line = KPIReport.objects.filter(submission__period=reports, value__isnull=False).first()
    url = "/api/progress/kpi-reports/?period=111Q2&limit=500"

    def value_in_list():
        rows = client.get(url).json()["results"]
        return next(r["value"] for r in rows if r["id"] == line.pk)

    before = value_in_list()
    line.value = "4242.5"
    line.save()  # tracked: one change-log entry
    after = value_in_list()
    assert before != after and float(after) == 4242.5


def test_the_clock_is_part_of_the_key(monkeypatch):
    from datetime import date

    from sixcore.progress import clock

    today = pagecache.clock_key()
    with clock.as_of(date(2022, 7, 20)):
        in_block = pagecache.clock_key()
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-20")
    from_env = pagecache.clock_key()
    assert len({today, in_block, from_env}) == 3


def test_the_session_bar_and_its_csrf_token_are_per_request(reports):
    client = Client(enforce_csrf_checks=True)
    user = ndc_reviewer()
    client.force_login(user)
    url = "/dashboard/?period=111Q2"
    client.get(url)
    cached = client.get(url)
    assert str(user) in cached.content.decode()
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', cached.content).group(1).decode()
    # The cached page's logout form works: its token matches this session's CSRF cookie.
    response = client.post("/accounts/logout/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    # Signed out: the same URL now shows the login link, not the officer's name.
    public = client.get(url).content.decode()
    assert str(user) not in public and 'id="nav-login"' in public


def test_a_cached_pages_forms_post_with_each_browsers_own_csrf_token(reports):
    """The submissions list is cached per officer, not per browser: its forms carry the token of the
    request that shows them, so the same officer's second browser (another CSRF cookie) can post."""
    user = ndc_reviewer()
    url = "/progress/?period=111Q2"
    CycleSettings.get()  # made on first use: a write, which would move the data version in between
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    for client in (first, second):
        client.force_login(user)
    first.get(url)  # rendered and stored
    with CaptureQueriesContext(connection) as hit:
        page = second.get(url)
    assert len(hit.captured_queries) == 1  # from the cache
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert len(tokens) == 2  # the bulk approval and the logout forms
    secret = second.cookies[settings.CSRF_COOKIE_NAME].value
    assert {_unmask_cipher_token(token) for token in tokens} == {secret}  # this browser's secret
    form = re.search(r'action="/progress/bulk-approve/">\s*<input[^>]*value="([^"]+)"', page.content.decode())
    response = second.post(
        "/progress/bulk-approve/", {"csrfmiddlewaretoken": form.group(1), "period": "111Q2"}
    )
    assert response.status_code == 302  # not 403: the token is this browser's


def test_messages_are_shown_once_and_never_stored(reports, rf):
    client = Client()
    client.force_login(ndc_reviewer())
    url = "/dashboard/?period=111Q2"
    client.get(url)  # cached, without a message
    # A flash message as a view leaves it (the cookie storage comes first in Django's default).
    request = rf.get("/")
    storage = CookieStorage(request)
    storage.add(constants.SUCCESS, "已核定（測試訊息）")
    carrier = HttpResponse()
    storage.update(carrier)
    client.cookies.update(carrier.cookies)
    assert "已核定（測試訊息）" in client.get(url).content.decode()
    assert "已核定（測試訊息）" not in client.get(url).content.decode()


def test_only_plain_200_responses_are_kept(reports):
    client = Client()
    client.force_login(editor("moea"))
    assert client.get("/dashboard/attention/?period=111Q2").status_code == 403
    ndc = Client()
    ndc.force_login(ndc_reviewer())
    export = ndc.get("/dashboard/attention/?period=111Q2&format=csv")
    assert export.status_code == 200 and export.has_header("Content-Disposition")
    with CaptureQueriesContext(connection) as again:
        assert ndc.get("/dashboard/attention/?period=111Q2&format=csv").status_code == 200
    assert len(again.captured_queries) > 3  # built again, not served from the cache


def test_off_means_every_request_builds_its_response(reports, settings):
    settings.SIXCORE_PAGE_CACHE = False
    client = Client()
    client.get("/dashboard/?period=111Q2")
    with CaptureQueriesContext(connection) as again:
        client.get("/dashboard/?period=111Q2")
    assert len(again.captured_queries) > 3


def test_api_lists_come_gzipped_unless_signed_in_by_cookie(reports):
    """Compressed once when stored, sent to clients that accept gzip: the public and token holders.
    A request signed in by its session cookie never gets a compressed body (BREACH)."""
    import gzip

    from rest_framework.authtoken.models import Token

    url = "/api/plan/kpis/?limit=50"
    public = Client()
    plain = public.get(url)
    assert "Content-Encoding" not in plain.headers and "Accept-Encoding" in plain.headers["Vary"]
    for _ in range(2):  # stored, then from the cache
        packed = public.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert packed.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(packed.content) == plain.content
        assert len(packed.content) < len(plain.content) / 4

    token = Token.objects.create(user=ndc_reviewer())
    by_token = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    as_officer = by_token.get(url).content
    assert gzip.decompress(by_token.get(url, HTTP_ACCEPT_ENCODING="gzip").content) == as_officer

    by_cookie = Client()
    by_cookie.force_login(ndc_reviewer())
    for _ in range(2):
        response = by_cookie.get(url, HTTP_ACCEPT_ENCODING="gzip")
        assert "Content-Encoding" not in response.headers and response.content == as_officer

    small = public.get("/api/progress/submissions/?limit=1&offset=100000", HTTP_ACCEPT_ENCODING="gzip")
    assert len(small.content) < 1024 and "Content-Encoding" not in small.headers


# --- the CSRF token of the session bar ------------------------------------------------------------


@given(secret=st.text(alphabet=CSRF_ALLOWED_CHARS, min_size=CSRF_SECRET_LENGTH, max_size=CSRF_SECRET_LENGTH))
def test_the_session_bars_csrf_token_is_djangos_masked_secret(secret):
    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = secret
    token = pagecache.csrf_token(request)
    assert len(token) == CSRF_TOKEN_LENGTH and set(token) <= set(CSRF_ALLOWED_CHARS)
    assert _unmask_cipher_token(token) == secret  # what CsrfViewMiddleware checks a POST with
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True  # an anonymous cookie renewed, as get_token
    assert pagecache.csrf_token(request) != token  # a fresh mask each time (BREACH)


@pytest.mark.django_db
def test_a_signed_in_page_does_not_send_the_csrf_cookie_again(program):
    """The login sent the cookie with a year to live; the pages after it (cached or not) do not send
    it again, and their forms still post with it."""
    user = ndc_reviewer()
    user.set_password("pw-for-the-csrf-test-1")
    user.save()
    login_page = Client(enforce_csrf_checks=True)
    token = re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.get("/accounts/login/").content.decode()
    )
    answer = login_page.post(
        "/accounts/login/",
        {
            "username": user.username,
            "password": "pw-for-the-csrf-test-1",
            "csrfmiddlewaretoken": token.group(1),
        },
    )
    assert answer.status_code == 302 and settings.CSRF_COOKIE_NAME in answer.cookies  # rotated at login
    for _ in range(2):  # built, then from the cache
        page = login_page.get("/dashboard/")
        assert page.status_code == 200 and settings.CSRF_COOKIE_NAME not in page.cookies
        assert page["Cache-Control"] == "private"  # its token and scope: for no shared cache
    assert "Cache-Control" not in Client().get("/dashboard/").headers  # the public page: anyone's
    form_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    assert login_page.post("/accounts/logout/", {"csrfmiddlewaretoken": form_token}).status_code == 302


def test_a_first_visit_gets_djangos_new_csrf_cookie():
    request = RequestFactory().get("/")
    token = pagecache.csrf_token(request)
    secret = request.META["CSRF_COOKIE"]
    assert len(secret) == CSRF_SECRET_LENGTH and _unmask_cipher_token(token) == secret


def test_the_csrf_mask_redraws_bytes_that_would_bias_it(monkeypatch):
    """Bytes 248-255 (256 is not a multiple of the 62 characters) are skipped, not folded onto the
    first characters; the mask keeps drawing until it has a byte for each of the secret's characters."""
    draws = iter([bytes([255] * 40 + [0] * 8), bytes(range(248, 256)) + bytes(range(61, 101))])
    monkeypatch.setattr(pagecache.secrets, "token_bytes", lambda n: next(draws))
    request = RequestFactory().get("/")
    secret = CSRF_ALLOWED_CHARS[:CSRF_SECRET_LENGTH]
    request.META["CSRF_COOKIE"] = secret
    token = pagecache.csrf_token(request)
    mask = [CSRF_ALLOWED_CHARS.index(c) for c in token[:CSRF_SECRET_LENGTH]]
    assert mask == [0] * 8 + [b % 62 for b in range(61, 85)]
    assert _unmask_cipher_token(token) == secret


@pytest.mark.django_db
def test_the_csrf_mark_is_the_same_in_every_process_sharing_the_cache():
    """Another worker or server fills in the pages this one stored (a shared cache: DatabaseCache,
    Redis), so the mark cannot be a per-process random value; it derives from the shared SECRET_KEY."""
    import os
    import subprocess

    code = "import django; django.setup(); from sixcore.core import pagecache; print(pagecache.csrf_mark())"
    other = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "sixcore.settings", "SECRET_KEY": settings.SECRET_KEY},
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert other.stdout.strip() == pagecache.csrf_mark()
    assert re.fullmatch(r"sixcore-csrf-[0-9a-f]{32}", pagecache.csrf_mark())
    # Another SECRET_KEY, another mark, and other keys: pages stored under the old mark are not read.
    request = RequestFactory().get("/dashboard/")
    request.user = AnonymousUser()
    key = pagecache.cache_key(request, "view")
    pagecache.csrf_mark.cache_clear()
    try:
        with override_settings(SECRET_KEY="rotated-" + "k" * 50):
            assert pagecache.csrf_mark() != other.stdout.strip()
            assert pagecache.cache_key(request, "view") != key
    finally:
        pagecache.csrf_mark.cache_clear()
    assert pagecache.cache_key(request, "view") == key


def test_a_view_that_fails_leaves_no_cache_flag_for_the_error_page(reports):
    seen = []

    @pagecache.cached_page
    def failing(request):
        seen.append(request)
        raise ValueError("broken")

    request = RequestFactory().get("/x/")
    request.user = ndc_reviewer()
    with pytest.raises(ValueError):
        failing(request)
    assert not hasattr(seen[0], pagecache.REQUEST_FLAG)
