"""The change log is complete (issue #18): every model of sixcore is tracked or exempt for a stated
reason, and the write paths that escaped the log — a password change, (de)activation through
``QuerySet.update()``, the deletion of the acting user, the alert run's ``bulk_update``, a restore —
are recorded."""

from __future__ import annotations

import contextvars
import importlib
import inspect
import pkgutil
from datetime import date

import pytest
from django.apps import apps
from django.conf import settings

from sixcore.core import backup, changelog
from sixcore.core.changelog import change_context, history_for, is_tracked
from sixcore.core.models import ObjectChange
from tests.factories import PASSWORD, editor, ndc_admin

EXEMPT = {
    "core.ObjectChange": "the change log itself (append-only)",
    "core.ObjectChangeRelation": "the change log's index of which objects a change belongs to",
    "accounts.Session": "sign-in bookkeeping: who is signed in, not what the program data is",
    "supplies.ImportBatch": "itself the record of an import (file, digest, who, counts); the "
    "observations it writes are tracked",
    "reports.ReportJob": "the state of a background report job; the report is derived from logged data",
    "evaluation.StoredResult": "the evaluation derived from logged data, rebuilt by `evaluate --rebuild`",
    "evaluation.StoredRollUp": "roll-up sums of the stored evaluation, derived and rebuilt with it",
    "evaluation.RefreshLock": "a row per refresh group, only ever locked, never changed",
}


def _through_owners(model) -> list[tuple[type, str]]:
    """(model, field) of every many-to-many field that ``model`` is the through table of."""
    return [
        (owner, field.name)
        for owner in apps.get_models()
        for field in owner._meta.many_to_many
        if field.remote_field.through is model
    ]


def sixcore_models() -> list:
    return [
        model
        for config in apps.get_app_configs()
        if config.name.startswith("sixcore.")
        for model in config.get_models(include_auto_created=True)
    ]


@pytest.mark.parametrize("model", sixcore_models(), ids=lambda m: m._meta.label)
def test_every_model_is_tracked_or_exempt_with_a_reason(model):
    label = model._meta.label
    owners = _through_owners(model)
    if owners:
        # A through table: its rows are recorded as the owner's list (m2m_changed), when tracked.
        for owner, field in owners:
            assert is_tracked(owner) or owner._meta.label in EXEMPT, f"{label}: owner {owner} untracked"
            tracking = changelog._registry.get(owner)
            assert tracking is None or field not in tracking.exclude, f"{owner}.{field} excluded"
        return
    if label in EXEMPT:
        assert not is_tracked(model), f"{label} is tracked: remove it from EXEMPT"
        assert len(EXEMPT[label]) > 20
    else:
        assert is_tracked(model), f"{label} is neither tracked by the change log nor listed as exempt"


def test_the_log_writes_through_the_orm():
    # changelog is a package: every module of it, not only __init__.
    modules = [
        importlib.import_module(f"{changelog.__name__}.{m.name}")
        for m in pkgutil.iter_modules(changelog.__path__)
    ]
    assert modules
    source = "\n".join(inspect.getsource(module) for module in [changelog, *modules])
    assert "django.db.backends" not in source
    assert ".cursor(" not in source and "INSERT INTO" not in source


@pytest.fixture
def officer(db):
    return editor("moea")


def test_a_password_change_is_recorded_without_the_hash(officer):
    admin = ndc_admin()
    since = ObjectChange.objects.count()
    with change_context(user=admin, source="admin"):
        officer.set_password("another-long-password-42")
        officer.save()
    (change,) = ObjectChange.objects.order_by("pk")[since:]
    assert change.action == "update" and change.user_name == admin.username
    assert set(change.postchange_data) ^ set(change.prechange_data) == set()
    changed = {k for k in change.postchange_data if change.postchange_data[k] != change.prechange_data[k]}
    assert changed == {"password"}
    stored = type(officer).objects.get(pk=officer.pk).password
    assert stored not in str(change.prechange_data) + str(change.postchange_data)
    assert change.postchange_data["password"].startswith("hmac:")


def test_a_login_records_no_password_change(client, officer):
    since = ObjectChange.objects.count()
    client.post("/accounts/login/", {"username": officer.username, "password": PASSWORD})
    assert [c.action for c in ObjectChange.objects.order_by("pk")[since:]] == []


@pytest.mark.parametrize("active", [False, True], ids=["deactivation", "activation"])
def test_activation_through_queryset_update_is_recorded(officer, active):
    admin = ndc_admin()
    User = type(officer)
    User.objects.filter(pk=officer.pk).update(is_active=not active)
    since = ObjectChange.objects.count()
    with change_context(user=admin, source="command"):
        assert User.objects.filter(pk=officer.pk).update(is_active=active) == 1
    (change,) = ObjectChange.objects.order_by("pk")[since:]
    assert (change.prechange_data["is_active"], change.postchange_data["is_active"]) == (not active, active)
    assert change.user == admin and change.changed_object_id == str(officer.pk)


def test_the_deleted_acting_user_keeps_their_name(officer):
    """A user deleting their own account: the log names them (the row it would link to is gone)."""
    name = officer.username
    with change_context(user=officer, source="web"):
        officer.agency.name += "（改）"
        officer.agency.save()
        officer.delete()
    changes = list(ObjectChange.objects.filter(user_name=name).order_by("pk"))
    assert [c.action for c in changes[-2:]] == ["update", "delete"]
    assert all(c.user is None for c in changes)
    assert changes[-1].prechange_data["username"] == name


def test_a_user_deleted_by_an_administrator_names_both(officer):
    admin = ndc_admin()
    with change_context(user=admin, source="admin"):
        officer.delete()
    change = ObjectChange.objects.filter(action="delete").latest("pk")
    assert change.user == admin and change.object_repr == str(officer)


def test_alert_bulk_update_is_recorded(db):
    from sixcore.supplies.choices import AlertKind
    from sixcore.supplies.models import Alert, SupplyItem
    from sixcore.supplies.registry import ensure_seeded

    ensure_seeded()
    item = SupplyItem.objects.order_by("order")[0]
    alerts = [
        Alert.objects.create(item=item, kind=AlertKind.values[0], opened_on=date(2024, 1, d), message="x")
        for d in (1, 2)
    ]
    for alert in alerts:
        alert.closed_on = date(2024, 2, 1)
    since = ObjectChange.objects.count()
    Alert.objects.bulk_update(alerts, ["closed_on"])
    changes = list(ObjectChange.objects.order_by("pk")[since:])
    assert [(c.action, c.postchange_data["closed_on"]) for c in changes] == [("update", "2024-02-01")] * 2
    assert all(history_for(item).filter(pk=c.pk).exists() for c in changes)


def test_a_restore_is_recorded_after_the_restored_log(db, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    archive = tmp_path / "b.tar.gz"
    backup.create_backup(archive, media_root=settings.MEDIA_ROOT)
    last = ObjectChange.objects.latest("pk").pk
    admin = ndc_admin()
    with change_context(user=admin, source="command"):
        backup.restore_backup(archive, media_root=settings.MEDIA_ROOT, force=True)
    (event,) = ObjectChange.objects.filter(pk__gt=last)
    assert event.action == "backup.restore" and event.user_name == admin.username and event.user is None


def test_suspending_the_log_holds_for_this_context_only(db):
    """A restore in one thread does not switch the log off for the others (the old untrack did)."""
    from sixcore.accounts.models import Agency

    here, there = Agency.objects.get(code="moea"), Agency.objects.get(code="most")

    def rename(agency: Agency) -> None:
        agency.name += "（改）"
        agency.save()

    with changelog.suspended():
        rename(here)
        # Another thread or request runs in a context of its own (a fresh one here, on this connection).
        contextvars.Context().run(rename, there)
    assert not history_for(here).filter(action="update").exists()
    assert history_for(there).filter(action="update").exists()


def test_the_user_model_is_the_logged_one():
    assert settings.AUTH_USER_MODEL == "accounts.User"
    assert isinstance(apps.get_model(settings.AUTH_USER_MODEL).objects.all(), changelog.ChangeLoggedQuerySet)
