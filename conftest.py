"""Shared fixtures of every test (tests/ and each app's sixcore/<app>/tests/): the real program, loaded
once per test session from the data files. At the repository root so that pytest finds it for both."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent
SEED = REPO.parent / "shared" / "seed" / "000_cbe2ebe5cd6892fc.txt"


def pytest_collection_modifyitems(items):
    """Browser tests use live_server, whose transactional database is emptied afterwards: run them last."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the program into the test database once; each test then runs in its own rolled-back transaction."""
    from sixcore.plan.loader import load_program

    with django_db_blocker.unblock():
        load_program()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2's deliberate slowness costs seconds per test; the hasher is not what these tests check."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_caches():
    """Each test starts with empty caches: the page cache's keys hold the data version (the newest
    change-log entry), and a rolled-back test can leave the next one the same id and, under a frozen
    clock, the same time."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()


@pytest.fixture
def program(db):
    from sixcore.plan.models import Program

    return Program.objects.get(revision=0)


@pytest.fixture(scope="session")
def exported(django_db_setup, django_db_blocker):
    """The export of revision 0 (read-only: tests must not mutate it)."""
    from sixcore.plan.export import export_program
    from sixcore.plan.models import Program

    with django_db_blocker.unblock():
        return export_program(Program.objects.get(revision=0))


@pytest.fixture(scope="session")
def seed_lines() -> list[str]:
    """The program document's lines (1-based access: ``seed_lines[n - 1]``)."""
    if not SEED.exists():
        if os.environ.get("CI"):
            pytest.fail(f"the program document is missing at {SEED}")
        pytest.skip(f"the program document is not at {SEED}")
    return SEED.read_text(encoding="utf-8").splitlines()


@pytest.fixture
def client_local(client):
    """Django's test client; 'testserver' is added to ALLOWED_HOSTS by pytest-django."""
    return client
