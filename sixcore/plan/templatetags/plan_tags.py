"""Template helpers for plan pages."""

from __future__ import annotations

from django import template

register = template.Library()

# plan/targets.py records in English why it read a target as it did; officers read it in Chinese.
BASIS_ZH = {
    "full-term default": "全期目標未註明，視為全期累計",
    "annual default": "分年目標未註明，視為當年度數值",
    "no quantity": "無可量化數值，視為里程碑",
    "override in data file": "資料檔指定",
}


@register.filter
def basis_zh(basis: str | None) -> str:
    """``keyword 累計`` → 「依「累計」判讀」; other reasons from ``BASIS_ZH``; unknown ones unchanged."""
    if not basis:
        return ""
    if basis.startswith("keyword "):
        return f"依「{basis.removeprefix('keyword ')}」判讀"
    return BASIS_ZH.get(basis, basis)
