"""The life of a visit: 規劃中 → 已完成 → 已公開, reopened back to 規劃中 with a reason, or cancelled.

Each step is atomic on the visit's row locked ``select_for_update``, checks the role (NDC) before the
state, refuses a stale ``version`` and is recorded as a named action (``fieldwork.complete`` …) with
before and after. Completing turns every recommendation not yet tracked into a follow-up item
(``sixcore.followups``) in the same transaction: a visit is never completed with a recommendation left
untracked, and a follow-up never exists for a visit that failed to complete.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from .choices import VerificationStatus
from .models import FieldVerification, Recommendation
from .policy import fieldwork_policy
from .services import FieldErrors, InvalidTransition, StaleVersion

ACTIONS = {
    "complete": pgettext_lazy("field verification action", "complete"),
    "publish": pgettext_lazy("field verification action", "publish"),
    "reopen": pgettext_lazy("field verification action", "reopen"),
    "cancel": pgettext_lazy("field verification action", "cancel"),
}


def _step(
    verification: FieldVerification,
    user,
    action: str,
    allowed_from: tuple[str, ...],
    to: str,
    version: int | None,
    comment: str = "",
    before_save: Callable[[FieldVerification], None] | None = None,
) -> FieldVerification:
    from sixcore.core.changelog import logged_transition

    with transaction.atomic():
        locked = FieldVerification.objects.select_for_update().get(pk=verification.pk)
        if not fieldwork_policy.can_manage(user):
            raise PermissionDenied(
                _("Only NDC may %(action)s a field verification.") % {"action": ACTIONS[action]}
            )
        if version is not None and int(version) != locked.version:
            raise StaleVersion(locked.version, int(version))
        if locked.status not in allowed_from:
            raise InvalidTransition(
                _("Cannot %(action)s a field verification that is %(status)s.")
                % {"action": ACTIONS[action], "status": locked.get_status_display()}
            )
        if before_save:
            before_save(locked)
        with logged_transition(locked, f"fieldwork.{action}", comment):
            locked.status = to
            locked.version += 1
            locked.save()
    verification.refresh_from_db()
    return verification


def complete(verification: FieldVerification, user, version: int | None = None, comment: str = ""):
    """Every verified item has its findings; each recommendation becomes a follow-up item."""
    from sixcore.progress.clock import now

    def check(locked: FieldVerification) -> None:
        errors = FieldErrors()
        missing = [item.code for item in locked.items.all() if not item.findings.strip()]
        if not locked.items.exists():
            errors.add("items", _("The field verification verifies nothing."))
        if missing:
            errors.add(
                "findings",
                _("Record the findings of every verified item first (missing: %(codes)s).")
                % {"codes": "、".join(missing)},
            )
        errors.raise_if_any()
        for recommendation in Recommendation.objects.filter(
            item__verification=locked, follow_up__isnull=True
        ).select_related("item", "owner"):
            track(recommendation, user)
        locked.completed_at = now()

    return _step(
        verification,
        user,
        "complete",
        (VerificationStatus.PLANNED,),
        VerificationStatus.COMPLETED,
        version,
        comment,
        check,
    )


def publish(verification: FieldVerification, user, version: int | None = None, comment: str = ""):
    """The public reads the visit, its findings and recommendations (never the evidence files)."""
    from sixcore.progress.clock import now

    def stamp(locked: FieldVerification) -> None:
        locked.published_at = now()
        # The public reads the visit's recommendations and how far each is followed up.
        for recommendation in Recommendation.objects.filter(
            item__verification=locked, follow_up__published=False
        ).select_related("follow_up"):
            recommendation.follow_up.publish(user, comment)

    return _step(
        verification,
        user,
        "publish",
        (VerificationStatus.COMPLETED,),
        VerificationStatus.PUBLISHED,
        version,
        comment,
        stamp,
    )


def reopen(verification: FieldVerification, user, version: int | None = None, comment: str = ""):
    """Back to 規劃中 to correct it (a reason is required); its follow-up items stay tracked."""

    def check(locked: FieldVerification) -> None:
        if not comment.strip():
            raise FieldErrors({"reason": [_("A reason is required to reopen a field verification.")]})
        locked.published_at = None

    return _step(
        verification,
        user,
        "reopen",
        (VerificationStatus.COMPLETED, VerificationStatus.PUBLISHED),
        VerificationStatus.PLANNED,
        version,
        comment,
        check,
    )


def cancel(verification: FieldVerification, user, version: int | None = None, comment: str = ""):
    """A planned visit that will not take place (a reason is required)."""

    def check(locked: FieldVerification) -> None:
        if not comment.strip():
            raise FieldErrors({"reason": [_("A reason is required to cancel a field verification.")]})
        if Recommendation.objects.filter(item__verification=locked, follow_up__isnull=False).exists():
            raise InvalidTransition(
                _("Its recommendations are tracked as follow-up items: it cannot be cancelled.")
            )

    return _step(
        verification,
        user,
        "cancel",
        (VerificationStatus.PLANNED,),
        VerificationStatus.CANCELLED,
        version,
        comment,
        check,
    )


STEPS = {"complete": complete, "publish": publish, "reopen": reopen, "cancel": cancel}


def track(recommendation: Recommendation, user) -> None:
    """Make ``recommendation`` a follow-up item owned by its agency, due on its due date (inside the
    caller's transaction)."""
    from sixcore.followups import services as followups
    from sixcore.followups.choices import FollowUpSource

    item = recommendation.item
    follow_up = followups.create_follow_up(
        user,
        source=FollowUpSource.FIELD_VERIFICATION,
        text=recommendation.text,
        owner=recommendation.owner,
        due_date=recommendation.due_date,
        industry=item.industry,
        published=item.verification.status == VerificationStatus.PUBLISHED,
        is_demo=item.verification.is_demo,
    )
    recommendation.follow_up = follow_up
    recommendation.save(update_fields=["follow_up"])
