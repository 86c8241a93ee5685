"""Write rights of the supplies API, checked before the body is validated.

DRF runs permission classes before a view reads its serializer, so a caller who may not write the item
learns nothing from the answer: without this order, a 400 "duplicate observation" against a 403 told an
outsider which companies report an item on which days (issue #18). The viewsets' ``perform_*`` methods
check the validated rows again (an update that moves a row to another item).
"""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.exceptions import PermissionDenied

from sixcore.accounts.policy import EDITOR_ROLES, is_ndc_admin

from .. import policy
from ..models import SupplyItem

ITEM_WRITERS = "only NDC administrators and editors of the item's responsible agency may write it"


def _may_write_some(user) -> bool:
    """NDC administrators and editor roles; the item itself is checked against the row or the body."""
    return bool(getattr(user, "is_authenticated", False)) and (
        is_ndc_admin(user) or user.role in EDITOR_ROLES
    )


def body_item(request) -> SupplyItem | None:
    """The existing item the body names by code, if any (an unknown code is the serializer's 400)."""
    data: Any = request.data
    code = data.get("item") if hasattr(data, "get") else None
    if not isinstance(code, str) or not code or "\x00" in code:
        return None
    return SupplyItem.objects.filter(code=code).select_related("responsible_agency").first()


def _check_body_item(request) -> None:
    item = body_item(request)
    if item is not None and not policy.can_edit(request.user, item):
        raise PermissionDenied(ITEM_WRITERS)


class ItemScopedWrite(permissions.BasePermission):
    """Minimums, assignments and observations: written by the editors of their item only."""

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        if not getattr(request.user, "is_authenticated", False):
            return False  # 401
        if not _may_write_some(request.user):
            raise PermissionDenied(ITEM_WRITERS)
        if request.method == "POST":
            _check_body_item(request)
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        """After the lookup, so that a row the caller may not read stays a 404."""
        if request.method in permissions.SAFE_METHODS:
            return True
        if not policy.can_edit(request.user, obj.item):
            raise PermissionDenied(ITEM_WRITERS)
        if request.method in ("PUT", "PATCH"):
            _check_body_item(request)  # moved to another item: the caller must edit that one too
        return True


class ItemWrite(permissions.BasePermission):
    """Items: registered and deleted by NDC administrators, edited by editors of the responsible agency."""

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        if not getattr(request.user, "is_authenticated", False):
            return False
        if request.method in ("POST", "DELETE") and not policy.can_create_items(request.user):
            raise PermissionDenied("only NDC administrators register or delete items")
        if not _may_write_some(request.user):
            raise PermissionDenied(ITEM_WRITERS)
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method not in permissions.SAFE_METHODS and not policy.can_edit(request.user, obj):
            raise PermissionDenied(ITEM_WRITERS)
        return True


class ReporterWrite(permissions.BasePermission):
    """Reporters: registered by NDC administrators and agency editors, deleted by NDC administrators."""

    def has_permission(self, request, view) -> bool:
        if not getattr(request.user, "is_authenticated", False):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        if not _may_write_some(request.user):
            raise PermissionDenied("only NDC administrators and agency editors register reporters")
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        """After the lookup: a reporter the caller may not read stays a 404."""
        if request.method == "DELETE" and not is_ndc_admin(request.user):
            raise PermissionDenied("only NDC administrators delete reporters")
        return True
