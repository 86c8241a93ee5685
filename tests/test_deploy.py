"""The production profile passes Django's deployment checks; pages carry no inline scripts (CSP)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_check_deploy_reports_nothing(tmp_path):
    env = dict(
        os.environ,
        SIXCORE_PROFILE="production",
        SIXCORE_HOME=str(tmp_path),
        DEBUG="0",
        SECRET_KEY="x" * 20 + "a-long-random-production-secret-key-0123456789",
        ALLOWED_HOSTS="sixcore.example.tw",
        DATABASE_URL="",
    )
    result = subprocess.run(
        [sys.executable, "-m", "sixcore.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_debug(tmp_path):
    env = dict(
        os.environ, SIXCORE_PROFILE="production", DEBUG="1", SIXCORE_HOME=str(tmp_path), DATABASE_URL=""
    )
    result = subprocess.run(
        [sys.executable, "-m", "sixcore.cli", "check"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "DEBUG must be off" in result.stderr


def test_templates_have_no_inline_scripts_or_handlers():
    """The CSP allows scripts from 'self' only: no inline <script> code, no on* attributes."""
    offenders = []
    for path in (ROOT / "sixcore" / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", text, re.S):
            attrs, body = match.group("attrs"), match.group("body").strip()
            if "src=" not in attrs and body and 'type="application/json"' not in attrs:
                offenders.append(f"{path.name}: inline <script>")
        if re.search(r"\son[a-z]+=\"", text):
            offenders.append(f"{path.name}: inline event handler")
    assert offenders == []


def test_security_headers_on_pages(client, program):
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
