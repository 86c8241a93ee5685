"""The page cache (core/pagecache.py): a cached response is the response the view would give now, to
this user; writes, the clock and the user change the key; the session bar, CSRF token and messages
are per request; only plain 200 responses are kept."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

from sixcore.accounts.models import Agency
from sixcore.core import pagecache
from sixcore.progress.models import KPIReport, ReportingPeriod, Submission
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
]
API = [
    "/api/plan/kpis/?limit=20",
    "/api/progress/submissions/",
    "/api/progress/submissions/?period=111Q2&limit=5",
    "/api/evaluation/kpis/?period=111Q2",
    "/api/evaluation/rollups/?period=111Q2&by=agency",
]
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


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
