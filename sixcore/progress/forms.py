"""Reading the submission edit form (one HTML form for all lines) into ``save_lines`` changes.

Field names encode the line: ``measures|1.1|progress``, ``kpis|1.1.1|value``,
``work_items|1-1/1.1.1|percent``, ``budget|1.1|executed``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from sixcore.core.dates import RocDateField, limit_dates
from sixcore.core.roc import RocDateError, format_roc_date

from .choices import BudgetUnit, WorkItemStatus
from .labels import field_label, line_label
from .values import LINE_FIELDS

SEPARATOR = "|"
CHOOSE = "choose"  # ``choose|<field name>`` = mine / theirs, after a conflict
ORIGINALS = "originals"  # a digest of each value as the form was first shown


def field_name(kind: str, code: str, name: str) -> str:
    return SEPARATOR.join((kind, code, name))


def changes_from_post(data) -> dict[str, dict[str, dict[str, Any]]]:
    """The submitted line fields, grouped as ``{kind: {code: {field: value}}}`` (unknown names ignored).

    A field whose conflict was settled with "take theirs" is left out: the colleague's saved value stays.
    """
    changes: dict[str, dict[str, dict[str, Any]]] = {}
    for key in data:
        parts = key.split(SEPARATOR)
        if len(parts) != 3 or parts[0] not in LINE_FIELDS or parts[2] not in LINE_FIELDS[parts[0]]:
            continue
        if data.get(f"{CHOOSE}{SEPARATOR}{key}") == "theirs":
            continue
        kind, code, name = parts
        changes.setdefault(kind, {}).setdefault(code, {})[name] = data.get(key)
    return changes


# --- showing the lines: saved values, or what the user typed -------------------------------------


def format_number(value: Decimal | None) -> str:
    """A figure as the document writes it: ``4.0000`` → ``4``, ``6.5000`` → ``6.5`` (no exponent)."""
    if value is None:
        return ""
    text = format(Decimal(value).normalize(), "f")
    return "0" if text in ("-0", "") else text


def as_text(value: Any) -> str:
    """A saved value as the form's input holds it (ROC dates, 1/0 for done, plain figures)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return format_number(value)
    if isinstance(value, date):
        try:
            return format_roc_date(value)
        except RocDateError:
            return value.isoformat()
    return str(value)


def _normal(text: str) -> str:
    # Browsers send textarea line breaks as CRLF; a value typed back unchanged is not an edit.
    return str(text).replace("\r\n", "\n").strip()


def digest(text: str) -> str:
    return hashlib.sha256(_normal(text).encode()).hexdigest()[:10]


def display(kind: str, name: str, text: str) -> str:
    """How a value reads beside a field (the colleague's saved value in a conflict)."""
    if not text:
        return "—"
    if name == "done":
        return str(_("yes")) if text == "1" else str(_("no")) if text == "0" else text
    if name == "status":
        return str(dict(WorkItemStatus.choices).get(text, text))
    if name == "unit" and kind == "budget":
        return str(dict(BudgetUnit.choices).get(text, text))
    return text


@dataclass
class Cell:
    """One input of the report form: its name, what it shows, and the error or conflict beside it."""

    name: str
    value: str
    error: str = ""
    theirs: str | None = None  # the colleague's saved value, when it conflicts with the user's
    theirs_display: str = ""
    took_theirs: bool = False  # the user had not touched it: the colleague's value is shown
    shown: str = ""  # the value as read on a page that is not editable
    field_label: str = ""  # 辦理情形, 實際值 …
    label: str = ""  # 績效指標 2.1.14 實際值: the field as messages name it

    @property
    def dom_id(self) -> str:
        return dom_id(self.name)


def dom_id(name: str) -> str:
    """The HTML id of a form field (``kpis|2.1/2.1.14|value`` → ``f-kpis-2-1-2-1-14-value``)."""
    return "f-" + "".join(c if c.isalnum() else "-" for c in name)


def build_cells(
    reports: dict[str, list], post=None, errors: list[dict] | None = None, conflict: bool = False
) -> str:
    """Give each report line ``cells`` = ``{field: Cell}`` and return the digest of the saved values.

    Without ``post``, the cells show the saved values. With it (a refused save), they show what the user
    typed; ``errors`` are put at their fields. After a conflict (``conflict``), each field the user changed
    that a colleague also changed shows both values for the user to choose; a field only the colleague
    changed shows the colleague's value; ``post[ORIGINALS]`` says which values the user had changed.
    """
    by_name = {e["name"]: e["message"] for e in errors or [] if e.get("name")}
    try:
        originals = json.loads(post.get(ORIGINALS, "") or "{}") if post is not None else {}
    except ValueError:
        originals = {}
    if not isinstance(originals, dict):
        originals = {}
    saved_digests = {}
    for kind, rows in reports.items():
        for report in rows:
            cells = {}
            for name in LINE_FIELDS[kind]:
                name_ = field_name(kind, report.form_code, name)
                saved = as_text(getattr(report, name))
                saved_digests[name_] = digest(saved)
                cell = Cell(name_, saved, by_name.get(name_, ""))
                if post is not None and name_ in post:
                    typed = post.get(name_, "")
                    cell.value = typed
                    if conflict and _normal(typed) != _normal(saved):
                        base = originals.get(name_)
                        mine_changed = base is None or digest(typed) != base
                        theirs_changed = base is None or digest(saved) != base
                        if mine_changed and theirs_changed:
                            cell.theirs, cell.theirs_display = saved, display(kind, name, saved)
                        elif theirs_changed:
                            cell.value, cell.took_theirs = saved, True
                cell.shown = display(kind, name, cell.value)
                cell.field_label = field_label(kind, name)
                cell.label = f"{line_label(kind, report.form_code)} {cell.field_label}"
                cells[name] = cell
            report.cells = cells
            report.cell_list = list(cells.values())
    return json.dumps(saved_digests, separators=(",", ":"))


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


class ReopenPeriodForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=None, label=_("Agency"))
    until = RocDateField(label=_("Open until"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from sixcore.accounts.models import Agency

        self.fields["agency"].queryset = Agency.objects.filter(
            parent__isnull=True, kind__in=["core", "ministry"]
        )
        limit_dates(self)


ALLOWED_ATTACHMENTS = {
    # extension: (content types accepted, magic bytes at the start of the file)
    ".pdf": ({"application/pdf"}, (b"%PDF-",)),
    ".docx": ({"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}, (b"PK\x03\x04",)),
    ".xlsx": ({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}, (b"PK\x03\x04",)),
    ".png": ({"image/png"}, (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ({"image/jpeg"}, (b"\xff\xd8\xff",)),
    ".jpeg": ({"image/jpeg"}, (b"\xff\xd8\xff",)),
}


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("Evidence file (pdf, docx, xlsx, png, jpg)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        extension = name[name.rfind(".") :] if "." in name else ""
        if extension not in ALLOWED_ATTACHMENTS:
            raise forms.ValidationError(_("File type %(ext)s is not accepted.") % {"ext": extension or "?"})
        if upload.size > settings.ATTACHMENT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB.")
                % {"mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)}
            )
        head = upload.read(16)
        upload.seek(0)
        _types, magics = ALLOWED_ATTACHMENTS[extension]
        # The extension must match the content: an HTML page renamed .pdf is refused before it is stored.
        if not any(head.startswith(m) for m in magics):
            raise forms.ValidationError(_("The file's content is not a %(ext)s file.") % {"ext": extension})
        return upload
