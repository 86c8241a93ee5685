from django.db import models
from django.utils.translation import gettext_lazy as _


class RevisionStatus(models.TextChoices):
    """Where a plan revision (滾動檢討修正) stands; only NDC administrators decide."""

    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


# A Program linked to a revision in one of these states is a draft or a rejected proposal: invisible to
# evaluation and to the public plan pages.
NOT_IN_FORCE = (RevisionStatus.PROPOSED, RevisionStatus.REJECTED)
