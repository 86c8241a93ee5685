"""Writes of field verification, the one path for pages, the API and the demo.

Every function checks the caller (NDC, ``policy.py``) first, the state of the visit on its row locked
``select_for_update`` and the ``version`` the caller edited (a stale one is refused, never overwritten),
validates everything before writing anything, and writes inside one transaction; the change log records
each row (``apps.py``). Errors name the field as the user sees it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sixcore.accounts.models import Agency
from sixcore.core.uploads import UploadRefused, check_upload
from sixcore.plan import models as plan
from sixcore.progress.models import ReportingPeriod
from sixcore.progress.services import program_in_force

from .choices import ItemKind
from .models import Evidence, FieldVerification, Recommendation, VerifiedItem
from .policy import fieldwork_policy
from .selection import Candidate

# The evidence kinds: the quarterly cycle's attachments plus OpenDocument text (政府文件標準格式).
EVIDENCE_KINDS = (".pdf", ".docx", ".xlsx", ".odt", ".png", ".jpg", ".jpeg")

FIELD_LABELS = {
    "title": gettext_lazy("title"),
    "date": gettext_lazy("verification date"),
    "place": gettext_lazy("place"),
    "reviewers": gettext_lazy("reviewers"),
    "agencies": gettext_lazy("agencies to attend"),
    "items": gettext_lazy("items to verify"),
    "findings": gettext_lazy("findings"),
    "text": gettext_lazy("recommendation"),
    "owner": gettext_lazy("owner agency"),
    "due_date": gettext_lazy("due date"),
    "file": gettext_lazy("evidence file"),
    "reason": gettext_lazy("reason"),
}


class InvalidTransition(Exception):
    """Not allowed in the visit's current state (HTTP 409)."""


class StaleVersion(Exception):
    """Someone changed the record since the caller loaded it (HTTP 409); nothing was written."""

    def __init__(self, current: int, expected: int):
        self.current, self.expected = current, expected
        super().__init__(
            _(
                "This field verification was changed by someone else after you opened it. "
                "Nothing of yours was saved."
            )
        )


@dataclass
class FieldErrors(Exception):
    """Invalid input (HTTP 400): ``errors`` maps a field name to its messages; nothing was written."""

    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise self

    def __str__(self) -> str:
        return "；".join(
            f"{FIELD_LABELS.get(name, name)}：{' '.join(messages)}" for name, messages in self.errors.items()
        )


def _require_ndc(user) -> None:
    if not fieldwork_policy.can_manage(user):
        raise PermissionDenied(_("Only NDC plans and records field verifications."))


def _locked(verification: FieldVerification, version: int | None) -> FieldVerification:
    locked = FieldVerification.objects.select_for_update().get(pk=verification.pk)
    if version is not None and int(version) != locked.version:
        raise StaleVersion(locked.version, int(version))
    return locked


def _require_planned(verification: FieldVerification) -> None:
    if not verification.editable:
        raise InvalidTransition(
            _("The field verification is %(status)s: reopen it to change it.")
            % {"status": verification.get_status_display()}
        )


def _bump(verification: FieldVerification) -> None:
    verification.version += 1
    verification.save(update_fields=["version"])


def _check_text(errors: FieldErrors, name: str, value: str, max_length: int | None = None) -> str:
    value = (value or "").strip()
    if not value:
        errors.add(name, _("This field is required."))
    elif "\x00" in value:
        errors.add(name, _("Null characters are not allowed."))
    elif max_length and len(value) > max_length:
        errors.add(name, _("At most %(n)s characters.") % {"n": max_length})
    return value


# --- plan ------------------------------------------------------------------------------------------


def resolve(candidate: Candidate, period: ReportingPeriod) -> dict:
    """The plan objects a candidate names, in the revision in force for ``period``."""
    program = program_in_force(period)
    head, _sep, tail = candidate.code.partition("/")
    if candidate.kind == ItemKind.KPI:
        kpi = plan.KPI.objects.select_related("measure__industry").get(
            measure__industry__program=program, measure__code=head, code=tail
        )
        return {"kpi": kpi, "measure": kpi.measure, "industry": kpi.measure.industry}
    if candidate.kind == ItemKind.WORK_ITEM:
        item = plan.WorkItem.objects.select_related("schedule__industry").get(
            schedule__industry__program=program, schedule__code=head, code=tail
        )
        return {"work_item": item, "industry": item.schedule.industry}
    if candidate.kind == ItemKind.MEASURE:
        measure = plan.Measure.objects.select_related("industry").get(industry__program=program, code=head)
        return {"measure": measure, "industry": measure.industry}
    return {
        "industry": plan.Industry.objects.get(program=program, code=head),
        "agency": Agency.objects.get(code=tail),
    }


def _resolve_all(errors: FieldErrors, picked: list[Candidate], period: ReportingPeriod | None) -> list:
    """(candidate, plan objects) of each pick; an unknown pick is an error on ``items``."""
    resolved = []
    if period is None:
        if picked:
            errors.add("items", _("Candidates are picked from a reporting period."))
        return resolved
    for candidate in picked:
        try:
            resolved.append((candidate, resolve(candidate, period)))
        except (plan.KPI.DoesNotExist, plan.WorkItem.DoesNotExist, plan.Measure.DoesNotExist):
            errors.add("items", _("%(code)s is not in the plan in force.") % {"code": candidate.code})
        except (plan.Industry.DoesNotExist, Agency.DoesNotExist):
            errors.add("items", _("%(code)s is not a reporting unit.") % {"code": candidate.code})
    return resolved


def _create_items(verification: FieldVerification, resolved: list, start: int) -> None:
    """The verified items, each keeping the reasons the candidate list gave for it."""
    for order, (candidate, objects) in enumerate(resolved, start=start):
        VerifiedItem.objects.create(
            verification=verification,
            kind=candidate.kind,
            code=candidate.code,
            label=candidate.label[:300],
            reasons=candidate.reason_text,
            order=order,
            **objects,
        )


def plan_verification(
    user,
    *,
    title: str,
    date: date | None,
    place: str,
    reviewers: str,
    agencies: Iterable[Agency],
    period: ReportingPeriod | None,
    picked: list[Candidate],
    purpose: str = "",
    is_demo: bool = False,
) -> FieldVerification:
    """NDC plans a visit of the picked candidates; the agencies attend (default: the picked items')."""
    _require_ndc(user)
    errors = FieldErrors()
    title = _check_text(errors, "title", title, 200)
    place = _check_text(errors, "place", place, 200)
    reviewers = _check_text(errors, "reviewers", reviewers, 300)
    if date is None:
        errors.add("date", _("This field is required."))
    if not picked:
        errors.add("items", _("Pick at least one candidate to verify."))
    agencies = list(agencies)
    if not agencies:
        codes = sorted({code for c in picked for code in c.agencies})
        agencies = list(Agency.objects.filter(code__in=codes))
    if not agencies:
        errors.add("agencies", _("Name at least one agency to attend."))
    resolved = _resolve_all(errors, picked, period)
    errors.raise_if_any()
    with transaction.atomic():
        verification = FieldVerification.objects.create(
            title=title,
            date=date,
            place=place,
            reviewers=reviewers,
            purpose=(purpose or "").strip(),
            basis_period=period,
            created_by=user,
            is_demo=is_demo,
        )
        verification.agencies.set(agencies)
        _create_items(verification, resolved, 0)
    return verification


def add_items(
    user,
    verification: FieldVerification,
    version: int | None,
    period: ReportingPeriod,
    picked: list[Candidate],
) -> FieldVerification:
    """Add picked candidates to a planned visit; their agencies join the attending agencies. An item
    already verified by the visit is refused (naming it), nothing added."""
    _require_ndc(user)
    errors = FieldErrors()
    if not picked:
        errors.add("items", _("Pick at least one candidate to verify."))
    resolved = _resolve_all(errors, picked, period)
    with transaction.atomic():
        locked = _locked(verification, version)
        _require_planned(locked)
        present = set(locked.items.values_list("kind", "code"))
        for candidate, _objects in resolved:
            if (candidate.kind, candidate.code) in present:
                errors.add(
                    "items",
                    _("%(item)s is already verified by this field verification.")
                    % {"item": candidate.label[:60]},
                )
        errors.raise_if_any()
        _create_items(locked, resolved, locked.items.count())
        codes = {code for candidate in picked for code in candidate.agencies}
        locked.agencies.add(*Agency.objects.filter(code__in=codes))
        locked.version += 1
        locked.save(update_fields=["version"])
    verification.refresh_from_db()
    return verification


def update_verification(user, verification: FieldVerification, version: int, **fields) -> FieldVerification:
    """Change the date, place, reviewers, purpose or attending agencies of a planned visit."""
    _require_ndc(user)
    errors = FieldErrors()
    values = {}
    for name, limit in (("title", 200), ("place", 200), ("reviewers", 300)):
        if name in fields:
            values[name] = _check_text(errors, name, fields[name], limit)
    if "date" in fields:
        if fields["date"] is None:
            errors.add("date", _("This field is required."))
        values["date"] = fields["date"]
    if "purpose" in fields:
        values["purpose"] = (fields["purpose"] or "").strip()
    agencies = list(fields["agencies"]) if "agencies" in fields else None
    if agencies is not None and not agencies:
        errors.add("agencies", _("Name at least one agency to attend."))
    with transaction.atomic():
        locked = _locked(verification, version)
        _require_planned(locked)
        errors.raise_if_any()
        for name, value in values.items():
            setattr(locked, name, value)
        locked.version += 1
        locked.save()
        if agencies is not None:
            locked.agencies.set(agencies)
    verification.refresh_from_db()
    return verification


# --- record ----------------------------------------------------------------------------------------


def record_findings(user, item: VerifiedItem, version: int, findings: str) -> VerifiedItem:
    """The findings (查證結果) of one verified item; ``version`` is the item's."""
    _require_ndc(user)
    errors = FieldErrors()
    findings = _check_text(errors, "findings", findings)
    with transaction.atomic():
        verification = _locked(item.verification, None)
        _require_planned(verification)
        locked = VerifiedItem.objects.select_for_update().get(pk=item.pk)
        if int(version) != locked.version:
            raise StaleVersion(locked.version, int(version))
        errors.raise_if_any()
        locked.findings = findings
        locked.version += 1
        locked.save()
        _bump(verification)
    item.refresh_from_db()
    return item


def add_evidence(user, item: VerifiedItem, upload) -> Evidence:
    """Store a photo or document for a verified item after the cycle's upload checks (extension
    allow-list, size, content, Office/ODF archive inspection: core/uploads.py); refused files store
    nothing."""
    _require_ndc(user)
    errors = FieldErrors()
    if upload is None:
        errors.add("file", _("Choose a file."))
        errors.raise_if_any()
    try:
        checked = check_upload(upload, EVIDENCE_KINDS, settings.ATTACHMENT_MAX_BYTES)
    except UploadRefused as exc:
        errors.add("file", str(exc))
        errors.raise_if_any()
    content = checked.content
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        verification = _locked(item.verification, None)
        _require_planned(verification)
        evidence = Evidence(
            item=item,
            original_name=upload.name[:255],
            content_type=getattr(upload, "content_type", "") or "application/octet-stream",
            size=len(content),
            sha256=digest,
            uploaded_by=user,
        )
        upload.seek(0)
        evidence.file.save(digest, upload, save=False)
        evidence.save()
        _bump(verification)
    return evidence


def add_recommendation(user, item: VerifiedItem, *, text: str, owner: Agency | None, due_date: date | None):
    """A 建議事項 on a verified item; it becomes a follow-up item when the visit is completed."""
    _require_ndc(user)
    errors = FieldErrors()
    text = _check_text(errors, "text", text)
    if owner is None:
        errors.add("owner", _("This field is required."))
    if due_date is None:
        errors.add("due_date", _("This field is required."))
    elif due_date < item.verification.date:
        errors.add("due_date", _("The due date is before the verification date."))
    with transaction.atomic():
        verification = _locked(item.verification, None)
        _require_planned(verification)
        errors.raise_if_any()
        recommendation = Recommendation.objects.create(
            item=item, text=text, owner=owner, due_date=due_date, created_by=user
        )
        _bump(verification)
    return recommendation


def delete_recommendation(user, recommendation: Recommendation) -> None:
    """Withdraw a recommendation not yet tracked (no follow-up item yet)."""
    _require_ndc(user)
    with transaction.atomic():
        verification = _locked(recommendation.item.verification, None)
        _require_planned(verification)
        locked = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
        if locked.follow_up_id is not None:
            raise InvalidTransition(_("The recommendation is already a follow-up item; close it there."))
        locked.delete()
        _bump(verification)
