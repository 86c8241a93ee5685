"""The change log: what is recorded, by whom and from where, history of an object, append-only."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import path, reverse
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from sixcore.accounts.models import Agency
from sixcore.core.changelog import (
    REQUEST_ID_HEADER,
    ChangeLoggedCommand,
    change_context,
    changelog_command,
    current_context,
    history_context,
    history_for,
    is_tracked,
    logged_transition,
    record_action,
    serialize_object,
    track_changes,
    untrack,
)
from sixcore.core.models import AppendOnlyError, ObjectChange, ObjectChangeRelation
from sixcore.plan.models import BudgetLine, Industry, Program

MIDDLEWARE = "sixcore.core.changelog.ChangeLogMiddleware"


# --- fixtures ------------------------------------------------------------------------------------


class Log:
    """The change log from the moment tracking started in a test."""

    def __init__(self) -> None:
        last = ObjectChange.objects.order_by("-pk").values_list("pk", flat=True).first()
        self.since = last or 0

    def changes(self) -> QuerySet[ObjectChange]:
        return ObjectChange.objects.filter(pk__gt=self.since).order_by("pk")

    def changes_of(self, obj: Any) -> list[ObjectChange]:
        """Changes of exactly this object, oldest first."""
        return list(
            self.changes().filter(
                changed_object_type__app_label=obj._meta.app_label,
                changed_object_type__model=obj._meta.model_name,
                changed_object_id=str(obj.pk),
            )
        )


@pytest.fixture
def log(ministry, alice) -> Iterator[Log]:
    """Track three models the way these tests need for one test, then restore the app's registrations.

    ``ministry`` and ``alice`` exist before the test's log starts."""
    options = {
        Program: {},
        Agency: {"related": lambda agency: [agency.parent], "exclude": ("order",)},
        Industry: {"related": lambda industry: [industry.program]},
    }
    previous = {model: untrack(model) for model in options}
    for model, model_options in options.items():
        track_changes(model, **model_options)
    yield Log()
    for model, registration in previous.items():
        untrack(model)
        if registration is not None:
            track_changes(model, related=registration.related, exclude=registration.exclude)


@pytest.fixture
def alice(db):
    return get_user_model().objects.create_user("alice", password="a-long-test-password")


@pytest.fixture
def ministry(db):
    return Agency.objects.create(code="test-ministry", name="測試部")


# --- what is recorded ----------------------------------------------------------------------------


def test_create_update_delete_recorded_with_before_and_after(log, ministry):
    unit = Agency.objects.create(code="test-unit", name="測試單位", parent=ministry)
    unit.name = "測試單位二"
    unit.save()
    unit_pk = unit.pk
    unit.delete()

    unit.pk = unit_pk
    created, updated, deleted = log.changes_of(unit)
    assert [c.action for c in (created, updated, deleted)] == ["create", "update", "delete"]
    assert created.prechange_data is None
    assert created.postchange_data["name"] == "測試單位"
    assert created.postchange_data["parent"] == ministry.pk  # a foreign key as its id
    assert "order" not in created.postchange_data  # excluded
    assert updated.prechange_data["name"] == "測試單位" and updated.postchange_data["name"] == "測試單位二"
    assert [(f.name, f.old, f.new) for f in updated.diff()] == [("name", "測試單位", "測試單位二")]
    assert deleted.prechange_data["name"] == "測試單位二" and deleted.postchange_data is None
    assert deleted.object_repr == "測試單位二"
    assert all(c.source == "system" and c.user is None for c in (created, updated, deleted))


def test_unchanged_save_and_excluded_fields_are_not_recorded(log, ministry):
    ministry.save()
    ministry.order = 99  # excluded
    ministry.save()
    assert [c.action for c in log.changes_of(ministry)] == []


def test_update_is_diffed_against_the_database_not_the_loaded_instance(log, ministry):
    stale = Agency.objects.get(pk=ministry.pk)
    ministry.full_name = "測試部全名"
    ministry.save()
    stale.name = "測試部二"
    stale.save()  # also writes full_name back to ""

    last = log.changes_of(ministry)[-1]
    assert {f.name: (f.old, f.new) for f in last.diff()} == {
        "full_name": ("測試部全名", ""),
        "name": ("測試部", "測試部二"),
    }


def test_update_fields_records_only_written_fields(log, ministry):
    ministry.name = "測試部二"
    ministry.full_name = "not written"
    ministry.save(update_fields=["name"])
    (change,) = log.changes_of(ministry)
    assert [f.name for f in change.diff()] == ["name"]


def test_serialisation_of_decimals_dates_and_foreign_keys(program):
    line = BudgetLine.objects.filter(program=program).select_related("industry").first()
    data = serialize_object(line)
    assert data["amount"] == str(line.amount) and isinstance(data["amount"], str)
    assert Decimal(data["amount"]) == line.amount
    assert data["industry"] == line.industry_id
    assert serialize_object(program)["revision_date"] == program.revision_date.isoformat()


def test_many_to_many_changes_are_recorded_from_both_sides(log, program, ministry):
    industry = Industry.objects.filter(program=program).first()
    before = sorted(industry.lead_agencies.values_list("pk", flat=True))

    industry.lead_agencies.add(ministry, through_defaults={"order": 9})
    ministry.led_industries.remove(industry)

    added, removed = log.changes_of(industry)
    assert added.prechange_data["lead_agencies"] == before
    assert added.postchange_data["lead_agencies"] == sorted([*before, ministry.pk])
    assert removed.postchange_data["lead_agencies"] == before
    assert [f.name for f in removed.diff()] == ["lead_agencies"]


def test_named_transition_is_one_change_with_message(log, program):
    with logged_transition(program, "program.retitle", message="typo in the title"):
        program.title = "核定本（修正）"
        program.save()

    (change,) = log.changes_of(program)
    assert change.action == "program.retitle"
    assert change.message == "typo in the title"
    assert [(f.name, f.new) for f in change.diff()] == [("title", "核定本（修正）")]


def test_nothing_is_recorded_when_a_transition_fails(log, program):
    with pytest.raises(RuntimeError), logged_transition(program, "program.retitle"):
        raise RuntimeError("refused")
    assert log.changes_of(program) == []


def test_record_action_adds_registered_related_objects(log, program):
    industry = Industry.objects.filter(program=program).first()
    change = record_action(industry, "industry.review", message="checked", related=[None, industry])
    assert change.related_objects == [{"type": "plan.program", "id": str(program.pk), "repr": str(program)}]
    with pytest.raises(ValueError, match="1–32"):
        record_action(industry, "x" * 33)


def test_untracked_models_are_not_recorded(log, ministry):
    assert is_tracked(Agency)
    previous = untrack(Agency)
    try:
        ministry.name = "測試部二"
        ministry.save()
    finally:
        track_changes(Agency, related=previous.related, exclude=previous.exclude)
    assert not log.changes_of(ministry)


# --- who, when, from where -----------------------------------------------------------------------


def test_context_user_source_and_request_id_are_recorded(log, ministry, alice):
    request_id = uuid.uuid4()
    with change_context(user=alice, source="api", request_id=str(request_id)) as context:
        assert current_context() is context
        ministry.name = "測試部二"
        ministry.save()
        Agency.objects.create(code="test-other", name="其他部")
    assert current_context() is None

    changes = ObjectChange.objects.filter(request_id=request_id).order_by("pk")
    assert [(c.action, c.source, c.user, c.user_name) for c in changes] == [
        ("update", "api", alice, "alice"),
        ("create", "api", alice, "alice"),
    ]


def test_an_unknown_source_is_refused():
    with pytest.raises(ValueError, match="unknown change source"), change_context(source="email"):
        pass


def test_contexts_nest_and_stay_in_their_thread():
    seen: dict[str, Any] = {}

    def worker(name: str, barrier: threading.Barrier) -> None:
        with change_context(user=name, source="command"):
            barrier.wait()  # both threads are inside their own context at the same time
            seen[name] = current_context().user

    barrier = threading.Barrier(2)
    threads = [threading.Thread(target=worker, args=(n, barrier)) for n in ("a", "b")]
    with change_context(user="outer", source="web") as outer:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with change_context(user="inner", source="command"):
            assert current_context().user == "inner"
        assert current_context() is outer
        # A new thread starts with no context; an explicit copy carries it over.
        fresh: list[Any] = []
        threading.Thread(target=lambda: fresh.append(current_context())).start()
        copied = contextvars.copy_context()
        carried: list[Any] = []
        thread = threading.Thread(target=copied.run, args=(lambda: carried.append(current_context()),))
        thread.start()
        thread.join()
    assert seen == {"a": "a", "b": "b"}
    assert fresh == [None] and carried == [outer]


def test_contexts_are_per_asyncio_task():
    async def task(name: str) -> str:
        with change_context(user=name, source="api"):
            await asyncio.sleep(0)
            return current_context().user

    async def main() -> list[str]:
        return await asyncio.gather(task("a"), task("b"))

    assert asyncio.run(main()) == ["a", "b"]


def test_the_user_name_survives_the_user(log, ministry, alice):
    with change_context(user=alice):
        ministry.name = "測試部二"
        ministry.save()
    alice.delete()
    (change,) = log.changes_of(ministry)
    assert change.user is None and change.user_name == "alice"


# --- middleware ----------------------------------------------------------------------------------


def rename_agency(request: HttpRequest) -> HttpResponse:
    agency = Agency.objects.get(code=request.GET["code"])
    agency.name = request.GET["name"]
    agency.save()
    return HttpResponse("ok")


urlpatterns = [
    path("api/agency/", rename_agency),
    path("pages/agency/", rename_agency),
    path("backoffice/agency/", rename_agency),
    path("backoffice/", admin.site.urls),
]


@pytest.fixture
def with_middleware(settings):
    if MIDDLEWARE not in settings.MIDDLEWARE:
        auth = settings.MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware")
        settings.MIDDLEWARE = [*settings.MIDDLEWARE[: auth + 1], MIDDLEWARE, *settings.MIDDLEWARE[auth + 1 :]]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("url", "source"),
    [("/api/agency/", "api"), ("/pages/agency/", "web"), ("/backoffice/agency/", "admin")],
)
def test_middleware_records_source_by_path_and_the_user(
    with_middleware, log, ministry, admin_client, url, source
):
    response = admin_client.get(url, {"code": ministry.code, "name": "測試部二"})
    assert response.status_code == 200
    request_id = uuid.UUID(response[REQUEST_ID_HEADER])
    (change,) = log.changes_of(ministry)
    assert (change.source, change.user_name, change.request_id) == (source, "admin", request_id)


@pytest.mark.urls(__name__)
def test_middleware_keeps_a_valid_request_id_and_replaces_an_invalid_one(
    with_middleware, log, ministry, client
):
    given_id = str(uuid.uuid4())
    response = client.get("/pages/agency/", {"code": ministry.code, "name": "二"}, HTTP_X_REQUEST_ID=given_id)
    assert response[REQUEST_ID_HEADER] == given_id
    (change,) = log.changes_of(ministry)
    assert str(change.request_id) == given_id and change.user is None  # anonymous

    response = client.get(
        "/pages/agency/", {"code": ministry.code, "name": "三"}, HTTP_X_REQUEST_ID="<script>"
    )
    assert uuid.UUID(response[REQUEST_ID_HEADER]) != uuid.UUID(given_id)


# --- history -------------------------------------------------------------------------------------


def test_history_includes_related_objects_changes_in_one_query(
    log, program, ministry, django_assert_num_queries
):
    unit = Agency.objects.create(code="test-unit", name="測試單位", parent=ministry)
    ministry.name = "測試部二"
    ministry.save()
    industry = Industry.objects.filter(program=program).first()
    industry.vision = "新願景"
    industry.save()

    history_for(ministry).first()  # warm the content-type cache
    with django_assert_num_queries(1):
        ministry_history = [(c.pk, c.action, c.object_repr) for c in history_for(ministry)]
    assert [(a, r) for pk, a, r in ministry_history if pk > log.since] == [
        ("update", "測試部二"),
        ("create", "測試單位"),
    ]
    assert [c.action for c in history_for(unit)] == ["create"]
    (industry_change,) = history_for(program).filter(pk__gt=log.since)
    assert industry_change.changed_object_id == str(industry.pk)
    assert industry_change.related_objects == [
        {"type": "plan.program", "id": str(program.pk), "repr": str(program)}
    ]
    assert ObjectChangeRelation.objects.filter(change=industry_change).count() == 2  # itself + program


def test_history_template_shows_roc_time_and_field_changes(log, ministry, alice):
    with change_context(user=alice, source="web"):
        Agency.objects.create(code="test-unit", name="測試單位", parent=ministry)
        with logged_transition(ministry, "agency.rename", message="新名稱"):
            ministry.name = "測試部二"
            ministry.save()

    html = render_to_string("core/_history.html", history_context(ministry))
    assert html.count("<tr id=") == history_for(ministry).count() >= 2
    assert "agency.rename" in html and "新名稱" in html and "alice" in html
    assert "測試部 → 測試部二" in html
    assert "測試單位" in html  # the child's change, named
    change = history_for(ministry).first()
    from django.utils import timezone

    from sixcore.core.roc import format_roc_date

    local = timezone.localtime(change.time)
    assert f"{format_roc_date(local)} {local:%H:%M}" in html


# --- append-only ---------------------------------------------------------------------------------


@pytest.fixture
def logged(log, ministry) -> ObjectChange:
    ministry.name = "測試部二"
    ministry.save()
    return log.changes_of(ministry)[0]


def test_the_log_cannot_be_changed_or_deleted_through_the_models(logged):
    logged.message = "rewritten"
    with pytest.raises(AppendOnlyError):
        logged.save()
    with pytest.raises(AppendOnlyError):
        ObjectChange(pk=logged.pk, request_id=uuid.uuid4()).save()  # an UPDATE in disguise
    with pytest.raises(AppendOnlyError):
        logged.delete()
    with pytest.raises(AppendOnlyError):
        ObjectChange.objects.filter(pk=logged.pk).update(message="rewritten")
    with pytest.raises(AppendOnlyError):
        ObjectChange.objects.update(message="rewritten")
    with pytest.raises(AppendOnlyError):
        ObjectChange.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        ObjectChangeRelation.objects.filter(change=logged).delete()
    # bulk_update opens its own transaction without a savepoint: give it one to roll back to.
    with pytest.raises(AppendOnlyError), transaction.atomic():
        ObjectChange.objects.bulk_update([logged], ["message"])
    logged.refresh_from_db()
    assert logged.message == "" and ObjectChange.objects.filter(pk=logged.pk).exists()


def test_the_admin_is_read_only_even_for_a_superuser(logged, admin_client):
    change_url = reverse("admin:core_objectchange_change", args=[logged.pk])
    assert admin_client.get(reverse("admin:core_objectchange_changelist")).status_code == 200
    assert admin_client.get(change_url).status_code == 200  # the read-only view
    assert admin_client.post(change_url, {"message": "rewritten"}).status_code == 403
    assert admin_client.get(reverse("admin:core_objectchange_add")).status_code == 403
    delete_url = reverse("admin:core_objectchange_delete", args=[logged.pk])
    assert admin_client.get(delete_url).status_code == 403
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    response = admin_client.post(
        reverse("admin:core_objectchange_changelist"),
        {"action": "delete_selected", "_selected_action": [logged.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    logged.refresh_from_db()
    assert logged.message == ""


# --- commands ------------------------------------------------------------------------------------


class RenameCommand(ChangeLoggedCommand):
    help = "Rename an agency (test command)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code")
        parser.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        rename_agency_by_code(options["code"], options["name"])


def rename_agency_by_code(code: str, name: str) -> None:
    agency = Agency.objects.get(code=code)
    agency.name = name
    agency.save()


@changelog_command
class DecoratedRenameCommand(BaseCommand):
    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code")
        parser.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        rename_agency_by_code(options["code"], options["name"])


@pytest.mark.parametrize("command_class", [RenameCommand, DecoratedRenameCommand])
def test_commands_log_with_source_command_and_the_acting_user(log, ministry, alice, command_class):
    call_command(command_class(), ministry.code, "測試部二", "--as", "alice")
    call_command(command_class(), ministry.code, "測試部三")
    first, second = log.changes_of(ministry)
    assert (first.source, first.user, first.user_name) == ("command", alice, "alice")
    assert (second.source, second.user, second.request_id != first.request_id) == ("command", None, True)


def test_a_command_refuses_an_unknown_acting_user(log, ministry):
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        call_command(RenameCommand(), ministry.code, "x", "--as", "nobody")
    assert log.changes_of(ministry) == []


# --- pure parts ----------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3),
    max_leaves=5,
)


@hypothesis_settings(deadline=None)  # pure, but the machine is shared: a slow first example is not a failure
@given(
    before=st.dictionaries(st.sampled_from("abcde"), json_values, max_size=5),
    after=st.dictionaries(st.sampled_from("abcde"), json_values, max_size=5),
)
def test_diff_lists_exactly_the_fields_that_differ(before, after):
    change = ObjectChange(prechange_data=before, postchange_data=after)
    diff = {f.name: (f.old, f.new) for f in change.diff()}
    expected = {
        k: (before.get(k), after.get(k))
        for k in set(before) | set(after)
        if k not in before or k not in after or before[k] != after[k]
    }
    assert diff == expected


# --- bulk updates (written with plain SQL, described for the log) ----------------------------------


def _content(change: ObjectChange) -> tuple:
    return (
        change.user_id,
        change.user_name,
        change.source,
        change.action,
        change.changed_object_type_id,
        change.changed_object_id,
        change.object_repr,
        change.related_objects,
        change.prechange_data,
        change.postchange_data,
        change.message,
        sorted(change.relations.values_list("content_type_id", "object_id")),
    )


def _bulk_entry(agency: Agency, before: dict, group: Any = None) -> Any:
    from sixcore.core.changelog import BulkUpdate, serialize_values

    values = {f.attname: f.value_from_object(agency) for f in Agency._meta.concrete_fields}
    parent = agency.parent
    return BulkUpdate(
        Agency,
        agency.pk,
        str(agency),
        before,
        serialize_values(Agency, values),
        ((Agency, parent.pk, str(parent)),),
        group=group,
    )


def test_serialize_values_is_serialize_object_without_the_instance(log, ministry):
    from sixcore.core.changelog import serialize_values, snapshot
    from sixcore.plan.models import WorkItem

    values = {f.attname: f.value_from_object(ministry) for f in Agency._meta.concrete_fields}
    assert serialize_values(Agency, values) == snapshot(ministry)  # "order" excluded by the log fixture
    assert "order" not in serialize_values(Agency, values)
    with pytest.raises(TypeError):
        serialize_values(WorkItem, {})  # many-to-many lists live in the database only


@pytest.mark.parametrize("returning", [True, False], ids=["insert-returning", "orm"])
def test_record_bulk_updates_writes_what_record_updates_writes(log, ministry, alice, returning, monkeypatch):
    from django.db import connection

    from sixcore.core.changelog import record_bulk_updates, record_updates, snapshot

    units = [Agency.objects.create(code=f"unit-{i}", name=f"單位{i}", parent=ministry) for i in range(3)]
    since = Log()
    with change_context(user=alice, source="api") as context:
        befores = [snapshot(unit) for unit in units]
        for unit in units:
            unit.name += "（改）"
        with transaction.atomic():
            for unit in units:  # the write itself; the log is the same whether it was one statement or three
                Agency.objects.filter(pk=unit.pk).update(name=unit.name)
            assert record_updates(list(zip(units, befores, strict=True)), message="批次") == 3
            expected = [_content(c) for c in since.changes()]
            transaction.set_rollback(True)
        # Without RETURNING of many rows (not SQLite or PostgreSQL), the log goes through the ORM.
        features = type(connection.features)
        monkeypatch.setattr(features, "can_return_rows_from_bulk_insert", property(lambda self: returning))
        entries = [_bulk_entry(unit, before) for unit, before in zip(units, befores, strict=True)]
        entries.append(_bulk_entry(units[0], snapshot(units[0])))  # before == after: skipped
        assert record_bulk_updates(entries, message="批次") == 3
    written = list(since.changes())
    assert [_content(c) for c in written] == expected
    assert {c.request_id for c in written} == {context.request_id}
    assert all(history_for(ministry).filter(pk=c.pk).exists() for c in written)


def test_record_bulk_updates_outside_a_context_uses_a_request_id_per_group(log, ministry):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sixcore.core.changelog import record_bulk_updates, snapshot

    units = [Agency.objects.create(code=f"u-{i}", name=f"單位{i}", parent=ministry) for i in range(4)]
    befores = [snapshot(unit) for unit in units]
    for unit in units:
        unit.name += "（改）"
    since = Log()
    entries = [
        _bulk_entry(unit, before, group=i % 2)
        for i, (unit, before) in enumerate(zip(units, befores, strict=True))
    ]
    with CaptureQueriesContext(connection) as queries:
        assert record_bulk_updates(entries) == 4
    assert len(queries) == 2  # one INSERT … RETURNING and one INSERT of relations, whatever the number
    written = list(since.changes())
    assert all(c.source == "system" and c.user is None for c in written)
    assert written[0].request_id == written[2].request_id != written[1].request_id == written[3].request_id
    assert record_bulk_updates([_bulk_entry(units[0], snapshot(units[0]))]) == 0
