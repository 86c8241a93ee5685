"""Sessions read with their user in one query (accounts/sessions.py), the prepared lookups behind
them and the API token (core/prepared.py, api/authentication.py), and the session bar rendered once
per name (core/pagecache.py): the same users, checks and pages as Django's own path."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import connection, transaction
from django.forms.models import model_to_dict
from django.template.context_processors import csrf
from django.template.loader import get_template
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token

from sixcore.accounts.backends import ModelBackend
from sixcore.accounts.models import Session, User
from sixcore.accounts.sessions import SessionStore, loaded_user
from sixcore.core import pagecache
from sixcore.core.prepared import Param, PreparedGet
from tests.factories import PASSWORD, UserFactory, editor, ndc_reviewer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("program")]

PAGE = "/dashboard/?period=111Q2"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def signed_in(user: User) -> Client:
    client = Client()
    assert (
        client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    )
    return client


def fields(instance) -> dict:
    return {**model_to_dict(instance), "pk": instance.pk}


def test_the_prepared_lookup_gives_the_orms_instances_with_their_related_rows():
    user = editor("moea")
    lookup = PreparedGet(lambda pk: User.objects.select_related("agency").filter(pk=pk), Param(-1))
    expected = User.objects.select_related("agency").get(pk=user.pk)
    with CaptureQueriesContext(connection) as queries:
        found = lookup.get(user.pk)
        assert fields(found.agency) == fields(expected.agency)  # read with the user: no second query
    assert len(queries) == 1
    assert fields(found) == fields(expected)
    assert found.last_login == expected.last_login and found.date_joined == expected.date_joined
    assert lookup.get(user.pk + 10_000) is None
    # Compiled once: the second lookup sends the same statement with the new value.
    with CaptureQueriesContext(connection) as again:
        lookup.get(user.pk)
    assert again[0]["sql"] == queries[0]["sql"]


def test_a_probe_must_be_a_parameter_of_the_query():
    lookup = PreparedGet(lambda pk: User.objects.filter(pk=5), Param(-1))  # the probe is not used
    with pytest.raises(ValueError, match="probe"):
        lookup.get(1)


def test_the_session_row_names_its_user_and_goes_at_logout():
    user = ndc_reviewer()
    client = signed_in(user)
    session = Session.objects.get()
    assert session.user_id == user.pk
    assert client.get(PAGE).status_code == 200
    assert str(user) in client.get(PAGE).content.decode()
    client.post("/accounts/logout/")
    assert not Session.objects.exists()
    assert str(user) not in client.get(PAGE).content.decode()


def test_a_deleted_user_takes_their_sessions():
    user = UserFactory(username="leaving", agency="moea")
    signed_in(user)
    assert Session.objects.filter(user=user).count() == 1
    user.delete()
    assert not Session.objects.exists()


def test_expired_sessions_inactive_users_and_changed_passwords_sign_out():
    user = ndc_reviewer()
    client = signed_in(user)
    assert str(user) in client.get(PAGE).content.decode()

    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert str(user) not in client.get(PAGE).content.decode()

    client = signed_in(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert str(user) not in client.get(PAGE).content.decode()

    User.objects.filter(pk=user.pk).update(is_active=True)
    client = signed_in(user)
    user.set_password("another-horse-battery-7")
    user.save()  # Django's session hash check still runs on the user the session query read
    assert str(user) not in client.get(PAGE).content.decode()


def test_the_users_row_is_read_fresh_on_each_request():
    user = editor("moea")
    client = signed_in(user)
    assert f"{user}（經濟部）" in client.get(PAGE).content.decode()
    User.objects.filter(pk=user.pk).update(first_name="改名", last_name="測試")
    assert "改名 測試（經濟部）" in client.get(PAGE).content.decode()


def test_the_loaded_user_belongs_to_its_request_only():
    user = ndc_reviewer()
    client = signed_in(user)
    client.get(PAGE)
    assert loaded_user(user.pk) is None  # outside a request: nothing, whatever was read before
    renamed = User.objects.get(pk=user.pk)
    renamed.first_name = "新"
    renamed.save()
    assert ModelBackend().get_user(user.pk).first_name == "新"


def test_the_session_row_never_chooses_the_user():
    """The user is the one the session's signed data names; the row's user id only lets the query
    read that user at once. A row naming another user (however it came to) signs no one in as them."""
    user, other = editor("moea"), UserFactory(username="someone_else", first_name="別人", agency="most")
    client = signed_in(user)
    Session.objects.update(user=other)
    page = client.get(PAGE).content.decode()
    assert f"{user}（經濟部）" in page and "別人" not in page


def test_a_session_for_a_user_deleted_meanwhile_is_saved_and_signs_no_one_in():
    """No foreign-key constraint: Django's create() retries a failed insert with new keys for ever."""
    store = SessionStore()
    store[SESSION_KEY] = "987654"
    store.create()  # returns
    assert Session.objects.get(session_key=store.session_key).user_id == 987654
    request = RequestFactory().get("/")
    request.session = SessionStore(store.session_key)
    from django.contrib.auth import get_user

    assert not get_user(request).is_authenticated


def test_async_saves_name_the_user_too():
    import asyncio

    store = SessionStore()
    # A key and loaded data: building the row then reads nothing from the database.
    store._session_key, store._session_cache = "a" * 32, {SESSION_KEY: "42"}
    instance = asyncio.run(store.acreate_model_instance(store._session_cache))
    assert instance.user_id == 42


def test_the_sessions_data_version_is_the_one_read_alone():
    client = signed_in(ndc_reviewer())
    store = SessionStore(client.cookies[settings.SESSION_COOKIE_NAME].value)
    store.load()
    assert store.data_version == pagecache.data_version()
    request = RequestFactory().get("/")
    request.session = store
    assert pagecache.data_version(request) == store.data_version


def test_api_tokens_load_their_user_agency_and_the_data_version_in_one_query():
    user = editor("moea")
    token = Token.objects.create(user=user)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    client.get("/api/progress/submissions/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/progress/submissions/").status_code == 200
    assert len(queries) == 1  # a cached answer: the token's query holds all its key needs
    assert all(
        f'"{table}"' in queries[0]["sql"]
        for table in ("authtoken_token", "accounts_agency", "core_objectchange")
    )
    assert Client(HTTP_AUTHORIZATION="Token " + "0" * 40).get("/api/progress/submissions/").status_code == 401
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert client.get("/api/progress/submissions/").status_code == 401


@pytest.mark.parametrize(
    ("name", "agency"),
    [("王小明", "moea"), ('<b>"Tom" & Jerry</b>', "most"), ("no agency", None)],
)
def test_the_session_bar_is_the_templates_own_rendering(name, agency):
    """Rendered once per name, agency and language with a mark for the CSRF token, it equals the
    template rendered for the user itself (escaping included), the token being this request's."""
    user = UserFactory(username=f"u{abs(hash(name)) % 10_000}", first_name=name, agency=agency)
    request = RequestFactory().get("/")
    request.user = User.objects.select_related("agency").get(pk=user.pk)
    request.session = SessionStore()
    bar = pagecache._session_nav(request).decode()
    direct = get_template("core/_session_nav.html").render({"user": request.user, **csrf(request)})
    assert CSRF.sub("-", bar) == CSRF.sub("-", direct)
    token = CSRF.search(bar).group(0)
    assert token != CSRF.search(direct).group(0)  # a fresh mask each time, of the same secret


def test_a_write_shows_at_once_to_token_and_session_clients():
    """The data version read with the token or the session moves with every tracked write."""
    from sixcore.accounts.models import Agency

    user = ndc_reviewer()
    token = Token.objects.create(user=user)
    clients = [Client(HTTP_AUTHORIZATION=f"Token {token.key}"), signed_in(user)]
    url = "/api/plan/kpis/?limit=5"  # KPI 1.1.1 comes first: its agency is 國科會 (most)
    for client in clients:
        client.get(url)
    agency = Agency.objects.get(code="most")
    agency.name = "國家科學及技術委員會（測試）"
    agency.save()
    for client in clients:
        assert "國家科學及技術委員會（測試）" in client.get(url).content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_postgresql_prepares_the_per_request_statements_and_nothing_else(settings):
    user = editor("moea")
    lookup = PreparedGet(lambda pk: User.objects.select_related("agency").filter(pk=pk), Param(-1))

    def prepared() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return [row[0] for row in cursor.fetchall()]

    settings.SIXCORE_PREPARED_STATEMENTS = False
    assert fields(lookup.get(user.pk)) == fields(User.objects.get(pk=user.pk))
    assert prepared() == []
    settings.SIXCORE_PREPARED_STATEMENTS = True
    for _ in range(3):
        assert fields(lookup.get(user.pk)) == fields(User.objects.get(pk=user.pk))
    statements = prepared()
    assert len(statements) == 1 and '"accounts_user"' in statements[0]  # the ORM's queries: never
    # A rolled-back transaction (psycopg forgets its statements) and a new connection prepare again.
    try:
        with transaction.atomic():
            lookup.get(user.pk)
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    assert fields(lookup.get(user.pk)) == fields(User.objects.get(pk=user.pk))


def test_a_stored_sessions_signature_is_checked_once_and_a_bad_one_never_passes(monkeypatch, caplog):
    from django.core import signing

    from sixcore.accounts import sessions

    sessions._verified_payload.cache_clear()
    store = SessionStore()
    data = store.encode({SESSION_KEY: "41", "note": "第一"})
    calls = []
    real_loads = signing.loads
    monkeypatch.setattr(signing, "loads", lambda *a, **k: calls.append(a) or real_loads(*a, **k))
    first, second = store.decode(data), store.decode(data)
    assert first == second == {SESSION_KEY: "41", "note": "第一"}
    assert first is not second  # each request gets its own dict to change
    assert len(calls) == 1  # verified once per stored value

    # A value whose signature does not match (here: another payload under the old signature) reads as
    # an empty session, as Django's decode gives it, and is checked again each time it is presented.
    signature = data.rsplit(":", 1)[1]
    forged = store.encode({SESSION_KEY: "1"}).rsplit(":", 1)[0] + ":" + signature
    calls.clear()
    with caplog.at_level("WARNING", logger="django.security.SuspiciousSession"):
        assert store.decode(forged) == {} and store.decode(forged) == {}
    assert caplog.messages.count("Session data corrupted") == 2
    assert len(calls) == 2

    # Keys rotated in a running process (the old one now a fallback, then gone): the same stored value
    # is checked again, under the keys of the moment.
    with override_settings(SECRET_KEY="another-key-" + "x" * 50, SECRET_KEY_FALLBACKS=[settings.SECRET_KEY]):
        calls.clear()
        assert store.decode(data) == first and len(calls) == 1
    with override_settings(SECRET_KEY="another-key-" + "x" * 50, SECRET_KEY_FALLBACKS=[]):
        assert store.decode(data) == {}


@pytest.mark.django_db
def test_the_session_auth_hash_is_djangos_for_each_password_and_key():
    """Kept per (password hash, secret key), it is what Django computes: a changed password or a
    fallback key gives another one."""
    from django.contrib.auth.base_user import AbstractBaseUser

    user = editor("moea")
    djangos = AbstractBaseUser._get_session_auth_hash
    assert user.get_session_auth_hash() == djangos(user)
    assert list(user.get_session_auth_fallback_hash()) == [
        djangos(user, secret=key) for key in settings.SECRET_KEY_FALLBACKS
    ]
    before = user.get_session_auth_hash()
    user.set_password("another-password-for-the-hash")
    assert user.get_session_auth_hash() == djangos(user) != before
    with override_settings(
        SECRET_KEY="another-secret-key-" + "x" * 40, SECRET_KEY_FALLBACKS=[settings.SECRET_KEY]
    ):
        assert user.get_session_auth_hash() == djangos(user)
        assert list(user.get_session_auth_fallback_hash()) == [
            djangos(user, secret=settings.SECRET_KEY_FALLBACKS[0])
        ]
