"""The optional internal step before submitting (issue #17 item 4): 承辦 → 主管 (陳核) → 送出審查.

Only agencies NDC lists in ``CycleSettings.internal_review_agencies`` have it; there only a supervisor
(``CycleSettings.internal_reviewers``) submits, nobody edits a report while it is with the supervisor,
and every step is in the change log."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from sixcore.accounts.choices import Role
from sixcore.accounts.models import Agency
from sixcore.core.changelog import history_for
from sixcore.progress import workflow
from sixcore.progress.choices import SubmissionStatus
from sixcore.progress.models import CycleSettings, Submission
from sixcore.progress.policy import submission_policy
from sixcore.progress.services import save_lines
from tests.factories import editor, make_user, open_period


@pytest.fixture
def period(db, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")
    return open_period("111Q2")


@pytest.fixture
def report(period):
    return Submission.objects.filter(period=period, agency__code="moea").first()


@pytest.fixture
def supervisor(period):
    boss = make_user(Role.AGENCY_EDITOR, "moea", "moea_supervisor")
    settings = CycleSettings.get()
    settings.internal_review_agencies.add(Agency.objects.get(code="moea"))
    settings.internal_reviewers.add(boss)
    return boss


def test_without_the_setting_the_officer_submits_as_before(report):
    officer = editor("moea")
    assert not workflow.may("internal_review", officer, report)
    assert workflow.submit(report, officer).status == SubmissionStatus.SUBMITTED


def test_the_officer_sends_to_the_supervisor_who_submits(report, supervisor):
    officer = editor("moea")
    with pytest.raises(PermissionDenied):
        workflow.submit(report, officer)  # only the supervisor submits here
    workflow.request_internal_review(report, officer, "請核閱")
    assert report.in_internal_review and report.status == SubmissionStatus.DRAFT
    assert not submission_policy.can_edit(officer, report)
    assert not submission_policy.can_edit(supervisor, report)  # nobody edits it meanwhile
    with pytest.raises(PermissionDenied):
        save_lines(report, officer, report.version, {"measures": {}})
    with pytest.raises(workflow.InvalidTransition):
        workflow.request_internal_review(report, officer)  # already there

    assert submission_policy.can_submit(supervisor, report)
    workflow.submit(report, supervisor)
    assert report.status == SubmissionStatus.SUBMITTED
    assert report.internal_review_at is None and report.submitted_by == supervisor
    actions = list(history_for(report).values_list("action", flat=True))
    assert "submission.internal_review" in actions and "submission.submit" in actions


def test_the_supervisor_sends_it_back_with_a_comment(report, supervisor):
    officer = editor("moea")
    workflow.request_internal_review(report, officer)
    with pytest.raises(workflow.IncompleteSubmission):
        workflow.return_internally(report, supervisor, "  ")
    assert report.in_internal_review
    with pytest.raises(PermissionDenied):
        workflow.return_internally(report, officer, "自己退回")  # the officer is no supervisor
    workflow.return_internally(report, supervisor, "請補充亮點")
    assert not report.in_internal_review and submission_policy.can_edit(officer, report)
    change = history_for(report).filter(action="submission.internal_return").get()
    assert change.message == "請補充亮點"


def test_a_supervisor_of_another_agency_can_do_nothing(report, supervisor):
    workflow.request_internal_review(report, editor("moea"))
    other = make_user(Role.AGENCY_EDITOR, "mohw", "mohw_supervisor")
    CycleSettings.get().internal_reviewers.add(other)
    for step in (workflow.submit, lambda s, u: workflow.return_internally(s, u, "退回")):
        with pytest.raises(PermissionDenied):
            step(report, other)
    assert Submission.objects.get(pk=report.pk).in_internal_review


def test_an_incomplete_report_is_not_sent(report, supervisor):
    settings = CycleSettings.get()
    settings.require_narratives = True
    settings.save()
    with pytest.raises(workflow.IncompleteSubmission):
        workflow.request_internal_review(report, editor("moea"))
    assert not Submission.objects.get(pk=report.pk).in_internal_review


def test_the_pages_offer_each_person_their_step(client, report, supervisor):
    url = reverse("progress:submission", args=[report.pk])
    client.force_login(editor("moea"))
    page = client.get(url).content.decode()
    assert 'id="internal-review-button"' in page and 'id="submit-button"' not in page
    response = client.post(url, {"version": report.version, "then": "internal_review"})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "陳核中" in page and 'id="internal-review-note"' in page and 'id="save-button"' not in page

    client.force_login(supervisor)
    page = client.get(url).content.decode()
    assert 'id="submit-button"' in page and 'id="internal-return-button"' in page
    client.post(reverse("progress:transition", args=[report.pk, "submit"]))
    assert Submission.objects.get(pk=report.pk).status == SubmissionStatus.SUBMITTED


def test_the_history_names_the_steps(report, supervisor):
    from sixcore.core.templatetags.changes import action_label

    assert action_label("submission.internal_review") == "陳核"
    assert action_label("submission.internal_return") == "退回承辦人"


def test_the_todo_list_shows_the_report_with_the_supervisor(client, report, supervisor):
    workflow.request_internal_review(report, editor("moea"))
    client.force_login(supervisor)
    page = client.get(reverse("workbench:home")).content.decode()
    section = page[page.index('id="internal-review"') :]
    assert f'href="/progress/submissions/{report.pk}/"' in section[: section.index("</section>")]
    client.force_login(make_user(Role.AGENCY_EDITOR, "mohw", "mohw_editor"))
    assert 'id="internal-review"' not in client.get(reverse("workbench:home")).content.decode()


# --- the same steps through the API ---------------------------------------------------------------


def _api(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(user)
    return client


def _step(client, submission, name, **body):
    return client.post(f"/api/progress/submissions/{submission.pk}/{name}/", body, format="json")


def test_the_api_offers_the_internal_steps_to_the_right_people(report, supervisor):
    officer = editor("moea")
    detail = _api(officer).get(f"/api/progress/submissions/{report.pk}/").json()
    assert detail["permissions"]["internal_review"] and not detail["permissions"]["submit"]
    assert _step(_api(officer), report, "submit").status_code == 403  # only the supervisor submits here

    response = _step(_api(officer), report, "internal-review", comment="請核閱")
    assert response.status_code == 200, response.content
    assert response.json()["internal_review_at"] and response.json()["status"] == "draft"
    assert _step(_api(officer), report, "internal-review").status_code == 409  # already there
    assert _step(_api(officer), report, "internal-return", comment="自己退回").status_code == 403

    assert _step(_api(supervisor), report, "internal-return", comment=" ").status_code == 400
    response = _step(_api(supervisor), report, "internal-return", comment="請補充亮點")
    assert response.status_code == 200 and response.json()["internal_review_at"] is None
    assert history_for(report).filter(action="submission.internal_return").get().message == "請補充亮點"

    assert _step(_api(officer), report, "internal-review").status_code == 200
    assert _step(_api(supervisor), report, "submit").status_code == 200
    assert Submission.objects.get(pk=report.pk).status == SubmissionStatus.SUBMITTED


def test_the_api_refuses_the_internal_steps_to_everyone_else(report, supervisor):
    from tests.factories import ndc_reviewer, viewer

    other = make_user(Role.AGENCY_EDITOR, "mohw", "mohw_supervisor")
    CycleSettings.get().internal_reviewers.add(other)
    for user in (supervisor, viewer("moea"), ndc_reviewer()):  # the supervisor submits instead
        assert _step(_api(user), report, "internal-review").status_code == 403, user
    assert _step(_api(other), report, "internal-review").status_code == 404  # another agency's draft
    workflow.request_internal_review(report, editor("moea"))
    for user in (viewer("moea"), ndc_reviewer()):
        assert _step(_api(user), report, "internal-return", comment="退回").status_code == 403, user
    assert _step(_api(other), report, "internal-return", comment="退回").status_code == 404
    assert Submission.objects.get(pk=report.pk).in_internal_review


def test_without_the_setting_the_api_has_no_internal_step(report):
    assert _step(_api(editor("moea")), report, "internal-review").status_code == 403


def test_the_schema_documents_the_internal_steps(db):
    import json

    from rest_framework.test import APIClient

    paths = json.loads(APIClient().get("/api/schema/?format=json").content)["paths"]
    for name in ("internal-review", "internal-return"):
        post = paths[f"/api/progress/submissions/{{id}}/{name}/"]["post"]
        assert {"200", "400", "403", "409"} <= set(post["responses"]) and "陳核" in post["summary"]
