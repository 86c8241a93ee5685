"""The words of the interface against the reviewed terms table (tests/ui_terms.yaml, issue #17).

A fuzzy match once put 方案版本 on the return button and 辦理重點及期程表 on "On schedule": the catalogue
compiled and every test passed. These tests read the table of reviewed terms and check the catalogue, the
rendered pages (where each control stands: buttons, statuses, menus, headings, columns, labels) and the
.po file itself.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from django.urls import reverse
from django.utils import translation

from sixcore.progress import workflow
from sixcore.progress.models import Submission
from tests.factories import editor, ndc_admin, ndc_reviewer, open_period

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "sixcore/locale/zh_Hant/LC_MESSAGES/django.po"
TERMS = yaml.safe_load((Path(__file__).parent / "ui_terms.yaml").read_text(encoding="utf-8"))["terms"]
KINDS = {"button", "status", "menu", "column", "label", "heading", "link"}


def _name(term: dict) -> str:
    return f"{term.get('context', '')}|{term['msgid']}"


# --- the table itself and the catalogue -------------------------------------------------------------


def test_the_table_is_well_formed():
    assert len({_name(t) for t in TERMS}) == len(TERMS), "a msgid (with its context) is listed twice"
    for term in TERMS:
        assert term["kind"] in KINDS, term
        assert term["zh"] not in term.get("never", []), term


@pytest.mark.parametrize("term", TERMS, ids=_name)
def test_the_catalogue_gives_each_msgid_its_term(term):
    with translation.override("zh-hant"):
        if "context" in term:
            shown = translation.pgettext(term["context"], term["msgid"])
        else:
            shown = translation.gettext(term["msgid"])
    assert shown == term["zh"]


def test_the_po_file_has_no_fuzzy_entry():
    text = PO.read_text(encoding="utf-8")
    assert not re.search(r"^#,.*\bfuzzy\b", text, re.MULTILINE)
    assert not re.search(r"^#\| ", text, re.MULTILINE), "previous msgids of fuzzy matches are left"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt is needed")
def test_msgfmt_check_passes():
    msgfmt = shutil.which("msgfmt")
    check = subprocess.run(  # noqa: S603 - fixed arguments
        [msgfmt, "--check", "-o", "/dev/null", str(PO)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stderr


# --- rendered pages ---------------------------------------------------------------------------------


class _Controls(HTMLParser):
    """The text of each element that is a control of a kind (button, status, menu entry…), by kind."""

    HEADINGS = {"h1", "h2", "h3", "h4", "caption", "legend"}
    LABELS = {"label", "dt", "b", "strong"}
    VOID = {"input", "br", "img", "meta", "link", "hr", "source", "wbr", "col", "area", "base"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: dict[str, list[str]] = {kind: [] for kind in KINDS}
        self.stack: list[tuple[str, set[str], list[str]]] = []  # tag, its kinds, its text

    def _kinds(self, tag: str, attrs: dict[str, str | None]) -> set[str]:
        classes = (attrs.get("class") or "").split()
        in_nav = any(t in ("nav", "header") for t, _k, _x in self.stack)
        kinds = set()
        if tag == "button":
            kinds.add("button")
        if tag == "option" or "status" in classes:
            kinds.add("status")
        if tag == "a":
            kinds.add("menu" if in_nav else "link")
        if tag == "th":
            kinds.add("column")
        if tag in self.LABELS:
            kinds.add("label")
        if tag in self.HEADINGS:
            kinds.add("heading")
        return kinds

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("aria-label"):
            self.found["label"].append(attrs["aria-label"])
        if tag == "input" and attrs.get("type") == "submit" and attrs.get("value"):
            self.found["button"].append(attrs["value"])
        if tag not in self.VOID:
            self.stack.append((tag, self._kinds(tag, attrs), []))

    def handle_endtag(self, tag):
        while self.stack:
            open_tag, kinds, text = self.stack.pop()
            joined = " ".join("".join(text).split())
            for kind in kinds:
                self.found[kind].append(joined)
            if self.stack:
                self.stack[-1][2].append("".join(text))
            if open_tag == tag:
                return

    def handle_data(self, data):
        if self.stack:
            self.stack[-1][2].append(data)


def controls(html: str) -> dict[str, list[str]]:
    parser = _Controls()
    parser.feed(html)
    parser.close()
    return parser.found


@pytest.fixture
def period(db, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")
    return open_period("111Q2")


@pytest.fixture
def moea_sub(period):
    return Submission.objects.get(period=period, industry__code="1", agency__code="moea")


def _fill_and_submit(submission: Submission) -> Submission:
    """A draft that may be submitted (every lagging item has its reasons), then submitted."""
    from sixcore.progress.services import save_lines

    owner = editor("moea")
    reports = submission.work_item_reports.select_related("work_item__schedule")
    changes = {
        "work_items": {
            f"{r.work_item.schedule.code}/{r.work_item.code}": {"lag_reason": "原因", "remedy": "對策"}
            for r in reports
        }
    }
    save_lines(submission, owner, submission.version, changes)
    submission.refresh_from_db()
    return workflow.submit(submission, owner)


def _page(client, name: str, moea_sub: Submission) -> str:
    """The HTML of one named page, as the user who reads it there."""
    detail = reverse("progress:submission", args=[moea_sub.pk])
    if name == "login":
        url = reverse("login")
    elif name == "overview":
        url = reverse("plan:overview")
    elif name == "dashboard":
        url = reverse("evaluation:program") + "?period=111Q2"
    elif name == "submission_editor":
        client.force_login(editor("moea"))
        url = detail
    elif name == "submission_reviewer":
        _fill_and_submit(moea_sub)
        client.force_login(ndc_reviewer())
        url = detail
    elif name == "submission_returned":
        workflow.return_for_revision(_fill_and_submit(moea_sub), ndc_reviewer(), "請補充落後原因")
        client.force_login(editor("moea"))
        url = detail
    elif name == "submissions":
        client.force_login(ndc_reviewer())
        url = reverse("progress:submissions") + "?period=111Q2"
    elif name == "revisions":
        client.force_login(ndc_admin())
        url = reverse("revisions:list")
    elif name == "coordination":
        client.force_login(ndc_admin())
        url = reverse("coordination:index")
    elif name == "supplies":
        client.force_login(ndc_admin())
        url = reverse("supplies:dashboard")
    else:  # pragma: no cover - a page named in the table but not here
        raise AssertionError(f"unknown page {name}")
    response = client.get(url)
    assert response.status_code == 200, (name, response.status_code)
    return response.content.decode()


PAGES = sorted({page for term in TERMS for page in term.get("pages", [])})


def _violations(term: dict, texts: list[str]) -> list[str]:
    """Where a ``never`` word stands in an element of the term's kind.

    A never word inside a reviewed term of the same kind is that term, not the mistake (經費 inside
    經費執行): such terms are taken out of the text first; the bare word standing alone is still wrong.
    """
    same_kind = sorted({t["zh"] for t in TERMS if t["kind"] == term["kind"]}, key=len, reverse=True)
    found = []
    for never in term.get("never", []):
        for text in texts:
            rest = text
            for zh in same_kind:
                if never in zh and zh != never:
                    rest = rest.replace(zh, "")
            if text == never or never in rest:
                found.append(f"{never!r} in {text!r}")
    return found


@pytest.mark.parametrize("page", PAGES)
def test_rendered_pages_show_the_reviewed_terms(client, moea_sub, page):
    html = _page(client, page, moea_sub)
    found = controls(html)
    expected = [t for t in TERMS if page in t.get("pages", [])]
    missing = [
        (t["msgid"], t["kind"], t["zh"])
        for t in expected
        if not any(t["zh"] in text for text in found[t["kind"]])
    ]
    assert not missing, f"{page}: terms not shown where expected: {missing}"
    wrong = [v for t in expected for v in _violations(t, found[t["kind"]])]
    assert not wrong, f"{page}: wrong words in controls: {wrong}"


def test_a_wrong_word_on_a_control_is_caught():
    """The page check is not vacuous: the old return button and status option are found."""
    found = controls(
        '<nav><a href="/">推動策略</a></nav><select><option>辦理重點及期程表</option></select>'
        "<button>方案版本</button><h2>經費執行</h2><th>分年目標</th>"
    )
    by_msgid = {_name(t): t for t in TERMS}
    assert _violations(by_msgid["|Return for revision"], found["button"])
    assert _violations(by_msgid["|On schedule"], found["status"])
    assert _violations(by_msgid["|Strategic supplies"], found["menu"])
    assert not _violations(by_msgid["|Budget execution"], found["heading"])
    assert _violations(by_msgid["|Annual budget"], found["column"])


def test_docs_mirror_the_table():
    """docs/TERMS.md lists every reviewed term (the Datasette rule: the docs are tested)."""
    docs = (ROOT / "docs/TERMS.md").read_text(encoding="utf-8")
    for term in TERMS:
        msgid = term["msgid"] + (f" ({term['context']})" if "context" in term else "")
        assert f"| {msgid} | {term['zh']} |" in docs, term
