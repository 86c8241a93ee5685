"""Agencies (機關) that lead or co-operate on the program's items."""

from __future__ import annotations

import functools
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.sessions.base_session import AbstractBaseSession
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

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django's hash (``AbstractBaseUser``), computed once per (password hash, secret key): every
        signed-in request checks its session against it, and it only changes with one of them."""
        return _session_auth_hash(self.password, settings.SECRET_KEY if secret is None else secret)


@functools.lru_cache(maxsize=1024)
def _session_auth_hash(password: str, secret: str) -> str:
    # Django's own computation, on a stand-in holding the one attribute it reads.
    return AbstractBaseUser._get_session_auth_hash(SimpleNamespace(password=password), secret=secret)


class Session(AbstractBaseSession):
    """Django's database session plus the signed-in user's id (from the session's own data, written
    with it), so that a request reads its session, user and agency in one query
    (``accounts/sessions.py``).  A deleted user's sessions go with the user."""

    # No database constraint: a session saved for a user deleted meanwhile must not fail its insert at
    # commit (Django's create() would retry with new keys for ever); it then joins no user and signs
    # no one in. Deleting a user through Django still deletes their sessions (CASCADE runs in Python).
    user = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="+",
        verbose_name=_("user"),
    )

    class Meta(AbstractBaseSession.Meta):
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    @classmethod
    def get_session_store_class(cls):
        from .sessions import SessionStore

        return SessionStore
