"""Checks every uploaded file passes before anything parses or stores it (issue #9, docs/SECURITY.md).

A file is judged by its content, not by its name or the browser's content type: the extension must be on
the endpoint's allow-list *and* the bytes must be that kind of file. Office files (docx, xlsx, and the
OpenDocument odt, ods) are zip archives: their directory is inspected before anything is inflated — too
many entries, too much declared uncompressed data or an extreme compression ratio (zip bombs), encrypted
entries — and then their declarations: macros (``vbaProject.bin``, macro-enabled content types; ODF Basic
libraries, scripts and script event bindings), encryption (ODF declares it in its manifest), links to
other files (external workbook links, ODF linked tables and sections) are refused. Text files (CSV, YAML) must be UTF-8 without
NUL bytes and must not be HTML or a zip; YAML must not use anchors, aliases or tags (the data files never
do; aliases are how a "billion laughs" bomb multiplies itself).

``check_upload`` raises ``UploadRefused`` with a message for the user; the views show it and store nothing.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import yaml
from django.utils.translation import gettext as _

MAX_ZIP_ENTRIES = 1000
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
# Office XML compresses about 10:1, rarely beyond 100:1; a bomb entry is typically above 1000:1.
MAX_COMPRESSION_RATIO = 200
MAX_YAML_NESTING = 64

# Zip entries and content types that carry macros or embedded programs.
MACRO_PARTS = ("vbaproject.bin", "vbadata.xml", "activex/", "/embeddings/oleobject")
MACRO_CONTENT_TYPES = (b"macroenabled", b"vbaproject", b"application/vnd.ms-office.activex")
MACRO_EXTENSIONS = (".xlsm", ".xltm", ".xlam", ".docm", ".dotm", ".xlsb")

OOXML_MAIN_PART = {".xlsx": "xl/workbook.xml", ".docx": "word/document.xml"}
# Parts that make a workbook read other files when opened.
OOXML_LINK_PARTS = ("xl/externallinks/",)
ODF_MIMETYPES = {
    ".ods": b"application/vnd.oasis.opendocument.spreadsheet",
    ".odt": b"application/vnd.oasis.opendocument.text",
}
# ODF macros live in Basic/ and Scripts/ (Python, JavaScript, BeanShell) and run from event bindings.
ODF_MACRO_PARTS = ("basic/", "scripts/")
ODF_MACRO_MARKERS = (
    b"<office:script ",
    b"<office:script>",
    b"script:event-listener",
    b"vnd.sun.star.script:",
)
ODF_LINK_MARKERS = (b"table:table-source", b"table:dde-source", b"office:dde-source", b"text:section-source")
ODF_XML_PARTS = ("content.xml", "styles.xml", "settings.xml")
MAGIC = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
}
TEXT_KINDS = (".csv", ".yaml")
OPENING_TOKENS = (
    yaml.BlockMappingStartToken,
    yaml.BlockSequenceStartToken,
    yaml.FlowMappingStartToken,
    yaml.FlowSequenceStartToken,
)
CLOSING_TOKENS = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)
HTML_STARTS = (b"<!doctype", b"<html", b"<head", b"<body", b"<script", b"<table", b"<?xml", b"<svg")


def import_max_bytes() -> int:
    """The size limit of data imports (settings.IMPORT_MAX_BYTES, default 50 MB)."""
    from django.conf import settings

    return int(getattr(settings, "IMPORT_MAX_BYTES", 50 * 1024 * 1024))


class UploadRefused(ValueError):
    """The upload is not an acceptable file; ``str(exc)`` is the message for the user."""


@dataclass(frozen=True)
class CheckedUpload:
    """What ``check_upload`` found: the kind (an extension such as ``.xlsx``) and the file's bytes."""

    kind: str
    content: bytes


def extension(name: str) -> str:
    name = (name or "").lower().rsplit("/", 1)[-1]
    return name[name.rfind(".") :] if "." in name else ""


def read_limited(upload, max_bytes: int) -> bytes:
    """The upload's bytes, refusing more than ``max_bytes`` (the declared size is not trusted alone)."""
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise UploadRefused(_too_large(max_bytes))
    if hasattr(upload, "seek"):
        upload.seek(0)
    content = upload.read(max_bytes + 1)
    if hasattr(upload, "seek"):
        upload.seek(0)
    if len(content) > max_bytes:
        raise UploadRefused(_too_large(max_bytes))
    return content


def _too_large(max_bytes: int) -> str:
    return _("The file is larger than the limit of %(mb)s MB.") % {"mb": _megabytes(max_bytes)}


def _megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:g}" if value >= 1 else f"{value:.2f}"


def check_upload(
    upload, allowed: Iterable[str], max_bytes: int, *, default_kind: str | None = None
) -> CheckedUpload:
    """Check an uploaded file against an allow-list of kinds (extensions) and a size limit.

    ``default_kind`` is the kind assumed for a file named without an extension (some clients send none).
    Raises ``UploadRefused``; returns the kind and the content (read once, at most ``max_bytes``).
    """
    allowed = tuple(allowed)
    name = getattr(upload, "name", "") or ""
    kind = extension(name) or (default_kind or "")
    if kind in MACRO_EXTENSIONS:
        raise UploadRefused(_("Macro-enabled files (%(ext)s) are not accepted.") % {"ext": kind})
    if kind not in allowed:
        raise UploadRefused(
            _("File type %(ext)s is not accepted here (accepted: %(allowed)s).")
            % {"ext": kind or "?", "allowed": ", ".join(allowed)}
        )
    content = read_limited(upload, max_bytes)
    check_content(kind, content)
    return CheckedUpload(kind, content)


def check_content(kind: str, content: bytes) -> None:
    """Refuse ``content`` that is not a harmless file of ``kind`` (see the module docstring)."""
    if not content:
        raise UploadRefused(_("The file is empty."))
    if kind in OOXML_MAIN_PART:
        inspect_ooxml(content, kind)
    elif kind in ODF_MIMETYPES:
        inspect_odf(content, kind)
    elif kind in MAGIC:
        if not content.startswith(MAGIC[kind]):
            raise UploadRefused(_("The file's content is not a %(ext)s file.") % {"ext": kind})
    elif kind in TEXT_KINDS:
        text = _text(content, kind)
        if kind == ".yaml":
            inspect_yaml(text)
    else:  # a kind without a content check is never accepted
        raise UploadRefused(_("The file's content is not a %(ext)s file.") % {"ext": kind or "?"})


def _text(content: bytes, kind: str) -> str:
    head = content[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if content.startswith(b"PK\x03\x04") or b"\x00" in content or head.startswith(HTML_STARTS):
        raise UploadRefused(_("The file's content is not a %(ext)s file.") % {"ext": kind})
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadRefused(
            _("The file is not UTF-8 text (byte %(pos)s). Save it as UTF-8 (CSV UTF-8 in Excel).")
            % {"pos": exc.start + 1}
        ) from None


def _directory(archive: zipfile.ZipFile, macro_parts: Iterable[str]) -> set[str]:
    """The archive's entry names (lower case), refusing bombs, encrypted entries and macro parts."""
    entries = archive.infolist()
    if len(entries) > MAX_ZIP_ENTRIES:
        raise UploadRefused(_("The archive holds too many entries (%(n)s).") % {"n": len(entries)})
    total = 0
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise UploadRefused(_("Encrypted or password-protected files are not accepted."))
        total += entry.file_size
        if entry.file_size > 1024 * 1024 and entry.file_size > MAX_COMPRESSION_RATIO * max(
            entry.compress_size, 1
        ):
            raise UploadRefused(_zip_bomb())
        name = entry.filename.lower()
        if any(part in name for part in macro_parts):
            raise UploadRefused(_macros())
    if total > MAX_UNCOMPRESSED_BYTES:
        raise UploadRefused(_zip_bomb())
    return {e.filename.lower() for e in entries}


# A damaged part fails only when read: bad CRC (BadZipFile), damaged deflate data (zlib.error), an
# encrypted entry (RuntimeError) or an unknown compression method (NotImplementedError).
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    OSError,
    ValueError,
    EOFError,
    KeyError,
    RuntimeError,
    NotImplementedError,
)


def inspect_ooxml(content: bytes, kind: str) -> None:
    """An Office Open XML file (``.xlsx``/``.docx``), judged from its zip directory before inflating."""
    not_kind = _("The file's content is not a %(ext)s file.") % {"ext": kind}
    if not content.startswith(b"PK\x03\x04"):
        raise UploadRefused(not_kind)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = _directory(archive, MACRO_PARTS)
            if "[content_types].xml" not in names or OOXML_MAIN_PART[kind] not in names:
                raise UploadRefused(not_kind)
            if any(name.startswith(OOXML_LINK_PARTS) for name in names):
                raise UploadRefused(_external_links())
            # The declared size bounds what zipfile inflates, so reading this part is bounded too.
            content_types = archive.read("[Content_Types].xml").lower()
    except ZIP_ERRORS as exc:
        if isinstance(exc, UploadRefused):
            raise
        raise UploadRefused(not_kind) from None
    if any(marker in content_types for marker in MACRO_CONTENT_TYPES):
        raise UploadRefused(_macros())


def inspect_odf(content: bytes, kind: str) -> None:
    """An OpenDocument file (``.ods``/``.odt``): the zip directory as for OOXML, then the package's own
    declarations — the ``mimetype`` entry first and of this kind, no encryption in the manifest, no
    macros or script bindings, no linked tables or sections (which would read other files)."""
    not_kind = _("The file's content is not a %(ext)s file.") % {"ext": kind}
    if not content.startswith(b"PK\x03\x04"):
        raise UploadRefused(not_kind)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = _directory(archive, ODF_MACRO_PARTS)
            first = archive.infolist()[0] if archive.infolist() else None
            if (
                first is None
                or first.filename != "mimetype"
                or "content.xml" not in names
                or "meta-inf/manifest.xml" not in names
                or archive.read("mimetype").strip() != ODF_MIMETYPES[kind]
            ):
                raise UploadRefused(not_kind)
            manifest = archive.read("META-INF/manifest.xml")
            parts = [archive.read(name) for name in archive.namelist() if name.lower() in ODF_XML_PARTS]
    except ZIP_ERRORS as exc:
        if isinstance(exc, UploadRefused):
            raise
        raise UploadRefused(not_kind) from None
    if any(b"<!DOCTYPE" in part or b"<!ENTITY" in part for part in (manifest, *parts)):
        raise UploadRefused(not_kind)  # entity declarations: how XML "billion laughs" bombs multiply
    if b"encryption-data" in manifest:
        raise UploadRefused(_("Encrypted or password-protected files are not accepted."))
    if any(marker in part for part in parts for marker in ODF_MACRO_MARKERS):
        raise UploadRefused(_macros())
    if any(marker in part for part in parts for marker in ODF_LINK_MARKERS):
        raise UploadRefused(_external_links())


def _zip_bomb() -> str:
    return _("The file expands to far more data than a normal document: refused as a possible zip bomb.")


def _macros() -> str:
    return _(
        "The file contains macros or scripts. Save it as a macro-free workbook or document "
        "(.ods, .odt, .xlsx, .docx)."
    )


def _external_links() -> str:
    return _("The file links to other files (external links). Remove the links and upload it again.")


def inspect_yaml(text: str) -> None:
    """Refuse YAML anchors, aliases and tags, and absurd nesting, before the loader builds anything."""
    depth = 0
    try:
        for token in yaml.scan(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if isinstance(token, yaml.AnchorToken | yaml.AliasToken | yaml.TagToken):
                raise UploadRefused(
                    _("YAML anchors, aliases and tags are not accepted (line %(line)s).")
                    % {"line": token.start_mark.line + 1}
                )
            if isinstance(token, OPENING_TOKENS):
                depth += 1
                if depth > MAX_YAML_NESTING:
                    raise UploadRefused(_("The YAML file is nested too deeply."))
            elif isinstance(token, CLOSING_TOKENS):
                depth -= 1
    except yaml.YAMLError:
        return  # malformed YAML: the data-file validator reports it with its line
