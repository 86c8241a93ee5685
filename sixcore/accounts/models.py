"""Agencies (機關) that lead or co-operate on the program's items."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from sixcore.core.changelog import ChangeLoggedQuerySet

from .choices import AgencyKind, Role


class Agency(models.Model):
    """A government agency or one of its sub-units, e.g. 經濟部 or 經濟部(工業局).

    ``name`` is the short form the program document writes; ``aliases`` holds other spellings found in
    the document (衛生福利部 for 衛福部) so data files can be matched without rewriting them.
    ``recognized`` is false for a name the data used that is not in the agency register: the loader keeps
    it (nothing is dropped) and the audit reports it.
    """

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sub_units",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=AgencyKind.choices, default=AgencyKind.OTHER)
    aliases = models.JSONField(_("aliases"), default=list, blank=True)
    recognized = models.BooleanField(_("in the agency register"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def top_level(self) -> Agency:
        """The ministry-level agency this unit belongs to (itself when it has no parent)."""
        agency = self
        while agency.parent_id is not None:
            agency = agency.parent
        return agency

    def mail_recipients(self) -> list[str]:
        """Where reminders to this agency go: its active users' addresses, or a placeholder address
        naming the agency (``moea@agencies.invalid``) so a mail with no reader is still visible."""
        emails = list(self.users.filter(is_active=True).exclude(email="").values_list("email", flat=True))
        return emails or [f"{self.code}@agencies.invalid"]


class LoggedUserManager(UserManager.from_queryset(ChangeLoggedQuerySet)):
    """Django's user manager whose ``update()``/``bulk_update()`` are recorded by the change log (a
    deactivation through ``User.objects.filter(...).update(is_active=False)`` is a change like any)."""


class User(AbstractUser):
    """A person using sixcore: an officer of one agency with one role, or NDC staff.

    Agency editors and viewers act for their agency and its sub-units (經濟部 covers 經濟部(工業局));
    an industry lead unit also consolidates the industries its agency leads; NDC roles see everything.
    """

    agency = models.ForeignKey(
        Agency,
        verbose_name=_("agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.AGENCY_VIEWER)

    objects = LoggedUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_ndc(self) -> bool:
        return self.role in (Role.NDC_ADMIN, Role.NDC_REVIEWER)
