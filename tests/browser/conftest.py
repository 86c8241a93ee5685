"""Browser tests: Playwright driving Debian's chromium (never a downloaded browser) against live_server.

live_server needs a transactional database, which is emptied after each test; these tests therefore
rebuild what they need and run after every other test (see the root conftest.py).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("SIXCORE_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run beside one
    # unless told that this (test) thread is not serving async code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-TW", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors
    yield page
    context.close()


@pytest.fixture
def shot():
    """``shot(page, "name")`` keeps a full-page screenshot under artifacts/screenshots/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def cycle_data(transactional_db):
    """The program, the periods and 111Q2's submissions, in the (emptied) transactional database."""
    from sixcore.plan.loader import load_program
    from sixcore.progress.periods import create_program_periods

    load_program(force=True)
    create_program_periods()
    static = (
        Path(__file__).resolve().parents[2] / "sixcore" / "static" / "vendor" / "echarts" / "echarts.min.js"
    )
    assert static.exists() or shutil.which("npm") is None or not os.environ.get("CI"), "run `make assets`"
