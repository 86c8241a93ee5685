"""Coordination issues (議題), project meetings (專案會議) and decisions (決議): the lifecycle, the
overdue list, and who sees and does what, per role and per agency (issue #7)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from sixcore.accounts.choices import Role
from sixcore.accounts.models import Agency
from sixcore.coordination import services
from sixcore.coordination.choices import IssueStatus
from sixcore.coordination.models import CoordinationIssue, Decision, InvalidTransition
from sixcore.core.models import ObjectChange
from sixcore.followups.choices import FollowUpStatus as DecisionStatus
from sixcore.followups.policy import follow_up_policy
from sixcore.plan import models as plan
from sixcore.progress.clock import as_of
from tests.factories import editor, industry_lead, make_user, ndc_admin, ndc_reviewer, viewer

pytestmark = pytest.mark.django_db


def agency(code: str) -> Agency:
    return Agency.objects.get(code=code)


@pytest.fixture
def case(program):
    """經濟部 raises an issue involving 科技部; NDC meets and decides: 經濟部 owns one decision, 交通部 one."""
    kpi = plan.KPI.objects.get(measure__industry__program=program, measure__code="1.2", code="1.2.2")
    issue = services.raise_issue(
        editor("moea"),
        title="半導體設備驗證場域不足",
        description="驗證場域需跨部會協調",
        requested_decision="請科技部開放實驗室",
        agencies=[agency("most")],
        kpi=kpi,
        measure=kpi.measure,
        due_date=date(2023, 6, 30),
    )
    meeting = services.record_meeting(
        ndc_reviewer(),
        date=date(2023, 3, 1),
        title="第 1 次專案會議",
        attendees=[agency("moea"), agency("most")],
        agenda=[issue],
    )
    own = services.add_decision(
        ndc_reviewer(),
        meeting,
        text="經濟部於 6 月底前提出驗證計畫",
        owner=agency("moea"),
        deadline=date(2023, 6, 30),
        issue=issue,
    )
    other = services.add_decision(
        ndc_reviewer(), meeting, text="交通部研議港區場域", owner=agency("motc"), deadline=date(2023, 12, 31)
    )
    return {"issue": issue, "meeting": meeting, "own": own, "other": other}


def test_the_lifecycle_is_audited(case):
    decision, issue = case["own"], case["issue"]
    # The decision's tracking is its follow-up item (the owner answers it in its quarterly report:
    # sixcore/followups/tests/test_followups.py); closing and reopening are the item's rulings.
    decision.close(ndc_admin(), "計畫已核定")
    assert decision.status == DecisionStatus.CLOSED and decision.closed_by.username == "ndc"
    with pytest.raises(InvalidTransition):
        decision.close(ndc_admin())
    decision.reopen(ndc_reviewer(), "需再追蹤")
    assert decision.status == DecisionStatus.TRACKED and decision.closed_at is None
    decision.publish(ndc_reviewer())
    with pytest.raises(InvalidTransition):
        decision.publish(ndc_reviewer())
    issue.close(ndc_reviewer())
    assert issue.status == IssueStatus.CLOSED
    actions = list(
        ObjectChange.objects.filter(action__startswith="followup.").values_list("action", flat=True)
    )
    assert sorted(actions) == ["followup.close", "followup.publish", "followup.reopen"]
    assert ObjectChange.objects.filter(action="coordination.issue.close").count() == 1
    rulings = decision.follow_up.rulings.values_list("kind", "comment", "by__username")
    assert list(rulings) == [("close", "計畫已核定", "ndc"), ("reopen", "需再追蹤", "ndc_reviewer")]
    # The decision and its follow-up item are in the change log, the item in the decision's history.
    assert ObjectChange.objects.filter(changed_object_type__model="decision", action="create").count() == 2


def test_overdue_decisions(case):
    assert list(services.overdue_decisions(date(2023, 6, 30))) == []
    assert list(services.overdue_decisions(date(2023, 7, 1))) == [case["own"]]
    assert list(services.overdue_decisions(date(2024, 1, 1))) == [case["own"], case["other"]]
    with as_of(date(2023, 7, 1)):
        assert list(services.overdue_decisions()) == [case["own"]]
    case["own"].close(ndc_admin())
    assert list(services.overdue_decisions(date(2024, 1, 1))) == [case["other"]]
    # Scoped: 經濟部 is not party to 交通部's decision; the public sees unpublished none.
    assert list(services.overdue_decisions(date(2024, 1, 1), user=editor("moea"))) == []
    assert list(services.overdue_decisions(date(2024, 1, 1), user=editor("motc"))) == [case["other"]]


USERS = {
    "ndc_admin": ndc_admin,
    "ndc_reviewer": ndc_reviewer,
    "moea_editor": lambda: editor("moea"),
    "moea_idb_editor": lambda: make_user(Role.AGENCY_EDITOR, "moea-idb"),  # a sub-unit works for its ministry
    "moea_viewer": lambda: viewer("moea"),
    "most_editor": lambda: editor("most"),
    "motc_lead": lambda: industry_lead("motc"),
    "ncc_editor": lambda: editor("ncc"),
    "anonymous": lambda: None,
}

# user → (sees issue, sees meeting, sees own decision, sees other decision, raises, answers own decision)
MATRIX = {
    "ndc_admin": (True, True, True, True, True, False),  # NDC rules on the item, the owner answers it
    "ndc_reviewer": (True, True, True, True, True, False),
    "moea_editor": (True, True, True, False, True, True),
    "moea_idb_editor": (True, True, True, False, True, True),
    "moea_viewer": (True, True, True, False, False, False),
    "most_editor": (True, True, True, False, True, False),
    "motc_lead": (False, True, False, True, True, False),
    "ncc_editor": (False, False, False, False, True, False),
    "anonymous": (False, False, False, False, False, False),
}


@pytest.mark.parametrize("who", list(MATRIX))
def test_permissions_matrix(case, client, who):
    user = USERS[who]()
    sees_issue, sees_meeting, sees_own, sees_other, raises, progresses = MATRIX[who]
    if user is not None:
        client.force_login(user)
    pages = {
        f"/coordination/issues/{case['issue'].pk}/": sees_issue,
        f"/coordination/meetings/{case['meeting'].pk}/": sees_meeting,
        f"/coordination/decisions/{case['own'].pk}/": sees_own,
        f"/coordination/decisions/{case['other'].pk}/": sees_other,
    }
    for url, visible in pages.items():
        assert client.get(url).status_code == (200 if visible else 404), url
    index = client.get("/coordination/").content.decode()
    assert ("半導體設備驗證場域不足" in index) == sees_issue
    assert ("交通部研議港區場域" in index) == sees_other
    response = client.get("/coordination/issues/new/")
    assert response.status_code == (200 if raises else 302 if user is None else 403)
    # The owner's editors answer the decision's follow-up item (in their quarterly report).
    assert follow_up_policy.can_respond(user, case["own"].follow_up) == progresses
    # Only NDC manages: meetings, decisions, closing, publishing.
    ndc = who.startswith("ndc")
    assert client.get("/coordination/meetings/new/").status_code == (
        200 if ndc else 302 if user is None else 403
    )
    client.post(f"/coordination/decisions/{case['own'].pk}/close/")
    assert Decision.objects.get(pk=case["own"].pk).status == (
        DecisionStatus.CLOSED if ndc else DecisionStatus.TRACKED
    )
    if not ndc:
        for step in ("close", "publish"):
            with pytest.raises(PermissionDenied):
                getattr(case["other"], step)(user)


def test_public_sees_published_decisions_only(case, client):
    assert client.get(f"/coordination/decisions/{case['other'].pk}/").status_code == 404
    case["other"].publish(ndc_reviewer())
    page = client.get(f"/coordination/decisions/{case['other'].pk}/")
    assert page.status_code == 200 and "交通部研議港區場域" in page.content.decode()
    index = client.get("/coordination/").content.decode()
    assert (
        "交通部研議港區場域" in index
        and "經濟部於 6 月底前" not in index
        and "半導體設備驗證場域不足" not in index
    )
    case["other"].unpublish(ndc_reviewer())
    assert client.get(f"/coordination/decisions/{case['other'].pk}/").status_code == 404


def test_an_agency_raises_issues_for_itself_only(program):
    with pytest.raises(PermissionDenied):
        services.raise_issue(editor("moea"), title="x", description="y", raising_agency=agency("most"))
    with pytest.raises(PermissionDenied):
        services.raise_issue(viewer("moea"), title="x", description="y")
    issue = services.raise_issue(ndc_reviewer(), title="x", description="y", raising_agency=agency("most"))
    assert issue.raising_agency.code == "most"


def test_raising_an_issue_in_the_web_on_a_kpi(program, client):
    client.force_login(editor("moea"))
    response = client.post(
        "/coordination/issues/new/",
        {
            "title": "指標定義不明",
            "description": "請釐清",
            "subject": "1.2/1.2.2",
            "agencies": [agency("most").pk],
        },
    )
    assert response.status_code == 302
    issue = CoordinationIssue.objects.get(title="指標定義不明")
    assert issue.kpi.code == "1.2.2" and issue.raising_agency.code == "moea"
    assert list(issue.agencies.values_list("code", flat=True)) == ["most"]
    response = client.post("/coordination/issues/new/", {"title": "t", "description": "d", "subject": "9.9"})
    assert response.status_code == 200 and not CoordinationIssue.objects.filter(title="t").exists()


def test_ndc_records_a_meeting_and_a_decision_in_the_web(program, client):
    client.force_login(ndc_reviewer())
    response = client.post(
        "/coordination/meetings/new/",
        {"date": "2023-04-01", "title": "第 2 次專案會議", "attendees": [agency("moea").pk]},
    )
    assert response.status_code == 302
    meeting_url = response["Location"]
    response = client.post(
        meeting_url, {"text": "請經濟部辦理", "owner": agency("moea").pk, "deadline": "2023-05-01"}
    )
    assert response.status_code == 302
    decision = Decision.objects.get(follow_up__text="請經濟部辦理")
    assert decision.status == DecisionStatus.TRACKED and not decision.published
    client.force_login(editor("moea"))
    assert (
        client.post(
            meeting_url, {"text": "x", "owner": agency("moea").pk, "deadline": "2023-05-01"}
        ).status_code
        == 403
    )
