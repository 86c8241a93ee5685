"""The data migration that moves coordination decisions' tracking onto follow-up items (issue #20):
owner, deadline, status, publication and closing carried over, progress notes kept as responses outside
the quarterly cycle, the decision linked to its item — on a database that had decisions before.

The migration runs in a subprocess on a scratch SQLite database: migrating the test database backwards
would empty the program the rest of the suite reads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

SCRIPT = r"""
import json
from datetime import date, datetime, timezone

import django

django.setup()
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

call_command("migrate", "coordination", "0001", verbosity=0)
old = MigrationExecutor(connection).loader.project_state([("coordination", "0001_initial")]).apps
Agency = old.get_model("accounts", "Agency")
User = old.get_model("accounts", "User")
moea = Agency.objects.create(code="moea", name="經濟部")
motc = Agency.objects.create(code="motc", name="交通部")
ndc = User.objects.create(username="ndc", role="ndc_admin")
officer = User.objects.create(username="moea_editor", role="agency_editor", agency=moea)
meeting = old.get_model("coordination", "Meeting").objects.create(
    date=date(2023, 3, 1), title="第 1 次專案會議", created_by=ndc
)
Decision = old.get_model("coordination", "Decision")
closed_at = datetime(2023, 7, 2, 3, 0, tzinfo=timezone.utc)
tracked = Decision.objects.create(
    meeting=meeting, text="經濟部提出驗證計畫", owner=moea, deadline=date(2023, 6, 30), published=True
)
closed = Decision.objects.create(
    meeting=meeting, text="交通部研議港區場域", owner=motc, deadline=date(2023, 12, 31),
    status="closed", closed_at=closed_at, closed_by=ndc,
)
Progress = old.get_model("coordination", "DecisionProgress")
Progress.objects.create(decision=tracked, note="已完成計畫初稿", by=officer)
Progress.objects.create(decision=tracked, note="請補充經費", by=ndc)

call_command("migrate", verbosity=0)
from sixcore.coordination.models import Decision
from sixcore.followups.models import FollowUp

out = []
for d in Decision.objects.order_by("pk"):
    f = d.follow_up
    out.append({
        "text": d.text, "owner": f.owner.code, "due": f.due_date.isoformat(), "opened": f.opened_on.isoformat(),
        "status": f.status, "published": f.published, "source": f.source,
        "closed_at": f.closed_at.isoformat() if f.closed_at else None,
        "closed_by": f.closed_by.username if f.closed_by else None,
        "responses": [[r.text, r.by.username, r.period_id] for r in f.responses.order_by("pk")],
        "rulings": [[r.kind, r.by.username, r.at.isoformat()] for r in f.rulings.all()],
        "origin": f.origin.pk == d.pk,
    })
print("RESULT" + json.dumps(out, ensure_ascii=False))
"""


def test_decisions_become_follow_up_items(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SIXCORE_AS_OF")}
    env.update(
        SIXCORE_HOME=str(tmp_path),
        DJANGO_SETTINGS_MODULE="sixcore.settings",
        PYTHONPATH=str(REPO),
    )
    run = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr[-3000:]
    [line] = [x for x in run.stdout.splitlines() if x.startswith("RESULT")]
    tracked, closed = json.loads(line.removeprefix("RESULT"))
    assert tracked == {
        "text": "經濟部提出驗證計畫",
        "owner": "moea",
        "due": "2023-06-30",
        "opened": "2023-03-01",  # the meeting's date
        "status": "tracked",
        "published": True,
        "source": "coordination",
        "closed_at": None,
        "closed_by": None,
        # The notes, in order, by whom; outside the quarterly cycle (no period).
        "responses": [["已完成計畫初稿", "moea_editor", None], ["請補充經費", "ndc", None]],
        "rulings": [],
        "origin": True,
    }
    assert closed["status"] == "closed" and closed["owner"] == "motc" and closed["published"] is False
    assert closed["closed_at"].startswith("2023-07-02T03:00") and closed["closed_by"] == "ndc"
    # Its closing is in the item's history as NDC's ruling, when it happened.
    assert closed["rulings"] == [["close", "ndc", closed["closed_at"]]]
