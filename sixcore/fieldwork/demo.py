"""Demo field verifications (示範資料), called by ``sixcore demo`` after the quarterly reports exist.

Two visits, picked from the candidate list as NDC would, written through the same services and steps as
the pages (so the audit trail and the follow-up items are real):

- 112/06/20, selected from 112年第1季: completed and published; one recommendation answered by its
  agency in the 112年第3季 report and closed by NDC (解除列管), one still tracked (繼續列管).
- 112/09/26, selected from 112年第2季: completed, not published; its recommendations are tracked, one
  already overdue on the demo's as-of date (112/10/11).

Deterministic (the demo's reports are) and run once: skipped when a demo visit exists.
"""

from __future__ import annotations

import struct
import zlib
from datetime import date, timedelta

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import translation

from sixcore.progress.choices import SubmissionStatus
from sixcore.progress.clock import as_of
from sixcore.progress.models import ReportingPeriod, Submission

from . import selection, services, workflow
from .choices import ItemKind
from .models import FieldVerification

DEMO = "（示範資料）"


def _png(rgb: tuple[int, int, int]) -> bytes:
    """A real 8×8 single-colour PNG (a stand-in for a site photo; no binary file in the repository)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * 8 for _ in range(8))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _pick(period: ReportingPeriod, user, drafts: set[tuple[str, str]]) -> list[selection.Candidate]:
    """A red KPI and a lagging work item whose agency has a draft report in 112Q3 (so the demo can
    answer it there), and the first reporting unit with repeated late reports."""
    found = selection.candidates(period, user)
    picked = []
    for kind in (ItemKind.KPI, ItemKind.WORK_ITEM, ItemKind.UNIT):
        of_kind = [c for c in found if c.kind == kind]
        answerable = [c for c in of_kind if any((c.industry, a) in drafts for a in c.agencies)]
        if answerable or of_kind:
            picked.append((answerable or of_kind)[0])
    return picked


def _owner(candidate: selection.Candidate, drafts: set[tuple[str, str]]) -> str:
    for code in candidate.agencies:
        if (candidate.industry, code) in drafts:
            return code
    return candidate.agencies[0]


def create_demo(users: dict) -> int:
    """The two demo visits; returns how many were created (0 when they exist). In the site's language:
    the reasons for selection are kept as the candidate list worded them."""
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        return _create(users)


def _create(users: dict) -> int:
    from sixcore.accounts.models import Agency

    if FieldVerification.objects.filter(is_demo=True).exists():
        return 0
    ndc = users["ndc"]
    current = ReportingPeriod.by_code("112Q3")
    drafts = set(
        Submission.objects.filter(period=current, status=SubmissionStatus.DRAFT).values_list(
            "industry__code", "agency__code"
        )
    )
    agencies = {a.code: a for a in Agency.objects.all()}
    created = 0
    specs = [
        ("112Q1", date(2023, 6, 20), "新竹科學園區（示範資料）", "published"),
        ("112Q2", date(2023, 9, 26), "臺南沙崙綠能科學城（示範資料）", "completed"),
    ]
    for number, (code, day, place, end) in enumerate(specs, start=1):
        period = ReportingPeriod.by_code(code)
        with as_of(day - timedelta(days=10)):
            picked = _pick(period, ndc, drafts)
            if not picked:
                continue  # a shorter demo (--until) has no reports, so no candidates, in that quarter
            verification = services.plan_verification(
                ndc,
                title=f"112年第{number}次實地查證{DEMO}",
                date=day,
                place=place,
                reviewers=f"國發會管考處 王專門委員、李研究員；外聘委員 陳教授{DEMO}",
                agencies=[],
                period=period,
                picked=picked,
                purpose=f"查證{period.label}燈號紅燈、進度落後及季報逾期之項目{DEMO}",
                is_demo=True,
            )
        with as_of(day):
            items = list(verification.items.all())
            for index, item in enumerate(items):
                services.record_findings(
                    ndc,
                    item,
                    item.version,
                    f"{DEMO}現地訪視及檢視佐證資料：{item.label[:30]}實際執行情形與季報所填大致相符，"
                    f"惟{'落後原因說明不足' if index % 2 else '經費撥付進度延遲'}。",
                )
                services.add_evidence(
                    ndc,
                    item,
                    SimpleUploadedFile(
                        f"現場照片{number}-{index + 1}.png", _png((40 * index, 120, 200)), "image/png"
                    ),
                )
            candidates = {c.key: c for c in picked}
            for index, item in enumerate(items[:2]):
                owner = _owner(candidates[f"{item.kind}:{item.code}"], drafts)
                due = date(2023, 9, 30) if number == 1 and index == 0 else date(2023, 12, 31)
                if number == 2 and index == 0:
                    due = date(2023, 10, 6)  # overdue on the demo's as-of date
                services.add_recommendation(
                    ndc,
                    item,
                    text=f"{DEMO}請{agencies[owner].name}就{item.label.split()[0]}研提具體改善措施並按季填報辦理情形",
                    owner=agencies[owner],
                    due_date=due,
                )
        with as_of(day + timedelta(days=3)):
            workflow.complete(verification, ndc, comment=f"{DEMO}查證完成")
            if end == "published":
                workflow.publish(verification, ndc, comment=f"{DEMO}查證結果公開")
        if number == 1:
            _answer_and_close(verification, users, current)
        created += 1
    return created


def _answer_and_close(verification: FieldVerification, users: dict, period: ReportingPeriod) -> None:
    """The first recommendation's agency answers in its 112Q3 report; NDC closes the item (解除列管)."""
    from sixcore.followups import services as followups

    recommendation = (
        verification.items.filter(recommendations__isnull=False)
        .order_by("order")
        .first()
        .recommendations.select_related("follow_up", "owner")
        .first()
    )
    follow_up = recommendation.follow_up
    editor = users.get(f"{recommendation.owner.code}_editor")
    report = followups.carrying_submission(follow_up, period)
    if editor is None or report is None or report.status != SubmissionStatus.DRAFT:
        return
    with as_of(date(2023, 10, 5)):
        followups.save_responses(
            editor, report, {follow_up.pk: f"{DEMO}已研提改善措施並完成經費撥付，詳附件說明"}
        )
    with as_of(date(2023, 10, 10)):
        follow_up.close(users["ndc"], f"{DEMO}已改善，解除列管", period=period)
