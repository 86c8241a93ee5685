"""The year-end evaluation demo: 111 published with a grade for every unit, 112 with 自評 open,
deterministic and labelled 示範資料."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from sixcore.accounts.models import User
from sixcore.annual import demo
from sixcore.annual.choices import Stage
from sixcore.annual.models import AnnualCycle, AnnualEvaluation, IndicatorScore
from sixcore.annual.services import check_deadline
from sixcore.core.changelog import history_for
from sixcore.demo.management.commands.demo import AS_OF
from sixcore.progress.clock import as_of


def _snapshot():
    return sorted(
        IndicatorScore.objects.values_list(
            "evaluation__year",
            "evaluation__industry__code",
            "evaluation__agency__code",
            "indicator__code",
            "stage",
            "score",
            "argued_score",
            "comment",
        )
    ), sorted(
        AnnualEvaluation.objects.values_list(
            "year", "industry__code", "agency__code", "stage", "final_score", "grade"
        )
    )


@pytest.fixture
def demo_run(program, capsys, monkeypatch):
    monkeypatch.delenv("SIXCORE_AS_OF", raising=False)
    call_command("demo", "--password", "demo-password-123", "--until", "110Q1")
    return capsys.readouterr().out


def test_demo_years(demo_run):
    assert "111 published with grades" in demo_run
    done = AnnualEvaluation.objects.filter(year=111)
    assert done.count() > 20 and all(e.is_demo for e in done)
    assert {e.stage for e in done} == {Stage.PUBLISHED}
    assert all(e.grade and e.final_score is not None for e in done)
    # (Grades spread only with the quarterly demo of 111: here no quarter of 111 was reported, so
    # every KPI due counts 0 % — the rule, not the demo, decides.)
    assert all("示範資料" in e.improvement_items and "示範資料" in e.review_opinion for e in done)
    # Every step is in each evaluation's history; a few were returned once.
    first = done.order_by("industry__code", "agency__order").first()
    actions = set(history_for(first).values_list("action", flat=True))
    assert {"annual.submit_self", "annual.complete_initial", "annual.approve", "annual.publish"} <= actions
    assert done.exclude(returned_at=None).exists()
    # One command, several people: each step is recorded as the user who took it.
    assert history_for(first).get(action="annual.approve").user.username == "ndc"
    assert (
        history_for(first).filter(action="annual.submit_self").first().user.username
        == f"{first.agency.code}_editor"
    )
    # 112: 自評 open on the demo's date; a few units started, some submitted for 初核.
    open_year = AnnualEvaluation.objects.filter(year=112)
    assert open_year.count() == done.count()
    assert {e.stage for e in open_year} == {Stage.SELF, Stage.INITIAL}
    cycle = AnnualCycle.objects.get(year=112)
    assert cycle.is_demo and "示範資料" in cycle.note and cycle.self_opens <= AS_OF <= cycle.self_due
    with as_of(AS_OF):
        check_deadline(open_year.filter(stage=Stage.SELF).first())  # not refused
    assert all(e.prefilled_from == "112Q3" for e in open_year)


def test_demo_is_deterministic(demo_run):
    first = _snapshot()
    AnnualEvaluation.objects.all().delete()
    AnnualCycle.objects.all().delete()
    users = {u.username: u for u in User.objects.all()}
    demo.load_demo(users, AS_OF)
    assert _snapshot() == first
