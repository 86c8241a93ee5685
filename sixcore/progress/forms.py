"""Reading the submission edit form (one HTML form for all lines) into ``save_lines`` changes.

Field names encode the line: ``measures|1.1|progress``, ``kpis|1.1.1|value``,
``work_items|1-1/1.1.1|percent``, ``budget|1.1|executed``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from sixcore.core.dates import limit_dates

from .services import LINE_FIELDS

SEPARATOR = "|"


def field_name(kind: str, code: str, name: str) -> str:
    return SEPARATOR.join((kind, code, name))


def changes_from_post(data) -> dict[str, dict[str, dict[str, Any]]]:
    """The submitted line fields, grouped as ``{kind: {code: {field: value}}}`` (unknown names ignored)."""
    changes: dict[str, dict[str, dict[str, Any]]] = {}
    for key in data:
        parts = key.split(SEPARATOR)
        if len(parts) != 3 or parts[0] not in LINE_FIELDS or parts[2] not in LINE_FIELDS[parts[0]]:
            continue
        kind, code, name = parts
        changes.setdefault(kind, {}).setdefault(code, {})[name] = data.get(key)
    return changes


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


class ReopenPeriodForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=None, label=_("Agency"))
    until = forms.DateField(label=_("Open until"), widget=forms.DateInput(attrs={"type": "date"}))
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
