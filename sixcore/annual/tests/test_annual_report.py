"""The annual evaluation report (年度評核報告, issue #20): ``sixcore report annual`` in every format, in
the quarterly report's layout; the docx and xlsx opened by LibreOffice as a real client would and their
text read back; the PDF tagged like the quarterly one; the public version holds published units only."""

from __future__ import annotations

import io
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from sixcore.annual import services, setup
from sixcore.annual.choices import ScoreStage, Stage
from sixcore.annual.models import AnnualEvaluation
from sixcore.annual.rules import score_text
from sixcore.reports.annual.layout import blocks
from sixcore.reports.annual.structure import (
    AnnualReport,
    Distribution,
    IndicatorRow,
    StageComment,
    UnitPage,
)
from sixcore.reports.layout import Heading, Table
from sixcore.reports.tests.test_reports import assert_tagged_pdf
from tests.factories import editor, industry_lead, ndc_admin

pytestmark = pytest.mark.django_db

YEAR = 111
TITLE = "六大核心戰略產業推動方案 111 年度評核報告"


def _score(evaluation, user, stage, value, texts):
    rows = {
        s.indicator.code: {"score": value, "comment": f"{s.indicator.name}評語"}
        for s in services.stage_scores(evaluation, stage)
        if not (stage == ScoreStage.SELF and s.prefilled_score is not None)
    }
    evaluation.refresh_from_db()
    services.save_scores(evaluation, user, stage, evaluation.version, rows, texts)


@pytest.fixture
def published(monkeypatch):
    """經濟部's evaluation of industry 1 published; the others left in 自評."""
    monkeypatch.setenv("SIXCORE_AS_OF", "2023-02-01")
    setup.ensure_evaluations(YEAR)
    evaluation = AnnualEvaluation.objects.get(year=YEAR, industry__code="1", agency__code="moea")
    officer, lead, admin = editor("moea"), industry_lead("moea"), ndc_admin()
    _score(evaluation, officer, ScoreStage.SELF, 88, {"self_summary": "自評：年度目標大致達成"})
    services.submit_self(evaluation, officer)
    _score(evaluation, lead, ScoreStage.INITIAL, 84, {"initial_opinion": "初核：同意自評"})
    services.complete_initial(evaluation, lead)
    _score(
        evaluation,
        admin,
        ScoreStage.REVIEW,
        82,
        {
            "review_opinion": "複核：執行進度符合預期",
            "improvement_items": "提高預算執行率至九成\n落後項目提出因應對策",
        },
    )
    services.complete_review(evaluation, admin)
    services.approve(evaluation, admin)
    services.publish(evaluation, admin)
    evaluation.refresh_from_db()
    assert evaluation.stage == Stage.PUBLISHED and evaluation.grade
    return evaluation


def _soffice_text(path: Path, tmp_path: Path) -> str:
    soffice, pdftotext = shutil.which("soffice"), shutil.which("pdftotext")
    if soffice is None or pdftotext is None:
        pytest.skip("LibreOffice (soffice) and poppler-utils are needed to open the files")
    out = tmp_path / "out"
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(path),
        ],
        capture_output=True,
        check=True,
        timeout=180,
    )
    converted = out / (path.stem + ".pdf")
    assert converted.exists() and converted.stat().st_size > 1000
    text = subprocess.run(  # noqa: S603 - fixed arguments
        [pdftotext, "-layout", str(converted), "-"], capture_output=True, check=True, text=True
    ).stdout
    return "".join(text.split())


def _report(tmp_path: Path, fmt: str, *extra: str) -> Path:
    path = tmp_path / f"annual-{fmt}-{'-'.join(extra) or 'all'}.{fmt}"
    call_command("report", "annual", "--year", str(YEAR), "--format", fmt, "--output", str(path), *extra)
    return path


def test_docx_and_xlsx_open_in_libreoffice_with_the_grades_comments_and_improvements(published, tmp_path):
    score = score_text(published.final_score)
    docx = _soffice_text(_report(tmp_path, "docx"), tmp_path)
    for text in (
        "".join(TITLE.split()),
        "壹、評核結果摘要",
        "資訊及數位產業／經濟部",
        published.grade,
        score,
        "複核：執行進度符合預期",
        "初核：同意自評",
        "提高預算執行率至九成",
        "全方案",
        "自評中",  # the units still in 自評 are in NDC's report, marked as such
    ):
        assert "".join(text.split()) in docx, text
    xlsx = _soffice_text(_report(tmp_path, "xlsx"), tmp_path)
    for text in ("等第", "資訊及數位產業", published.grade, "提高預算執行率至九成", "複核：執行進度符合預期"):
        assert text in xlsx, text


def test_the_workbook_keeps_scores_as_numbers(published, tmp_path):
    workbook = load_workbook(_report(tmp_path, "xlsx"))
    assert workbook.sheetnames == ["封面", "等第摘要", "等第分布", "指標評分", "評核意見", "待改進事項"]
    sheet = workbook["等第摘要"]
    header = [c.value for c in sheet[2]]
    row = next(r for r in sheet.iter_rows(min_row=3, values_only=True) if r[header.index("機關")] == "經濟部")
    assert Decimal(str(row[header.index("總分")])) == published.final_score
    assert row[header.index("等第")] == published.grade
    improvements = [r[3] for r in workbook["待改進事項"].iter_rows(min_row=3, values_only=True)]
    assert improvements == ["提高預算執行率至九成", "落後項目提出因應對策"]


def test_the_pdf_is_tagged_and_the_odf_files_open(published, tmp_path):
    pdf = _report(tmp_path, "pdf").read_bytes()
    assert_tagged_pdf(pdf, TITLE)
    odt = _soffice_text(_report(tmp_path, "odt"), tmp_path)
    assert "資訊及數位產業／經濟部" in odt and published.grade in odt
    import zipfile

    with zipfile.ZipFile(io.BytesIO(_report(tmp_path, "ods").read_bytes())) as ods:
        assert "提高預算執行率至九成" in ods.read("content.xml").decode()


def test_the_public_report_has_published_units_only(published, tmp_path):
    workbook = load_workbook(_report(tmp_path, "xlsx", "--published-only"))
    agencies = [r[2] for r in workbook["等第摘要"].iter_rows(min_row=3, values_only=True)]
    assert agencies == ["經濟部"]
    everything = load_workbook(_report(tmp_path, "xlsx"))
    assert (
        len(list(everything["等第摘要"].iter_rows(min_row=3)))
        == AnnualEvaluation.objects.filter(year=YEAR).count()
    )


def test_a_year_without_evaluations_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="--year"):
        call_command("report", "annual", "--year", "105", "--output", str(tmp_path / "x.docx"))
    with pytest.raises(CommandError, match="--year is required"):
        call_command("report", "annual", "--output", str(tmp_path / "x.docx"))


def test_the_blocks_follow_the_quarterly_layout():
    unit = UnitPage(
        "3",
        "臺灣精準健康產業",
        "衛福部",
        "已公告",
        Decimal("79.99"),
        "乙等",
        [
            IndicatorRow(
                "kpi",
                "KPI 達成",
                Decimal(40),
                "達成率 80%",
                Decimal(80),
                Decimal(78),
                None,
                Decimal(90),
                "目標上修",
            )
        ],
        [StageComment("複核", "國發會", "112/5/1", "請加強")],
        ["提出改善計畫"],
    )
    report = AnnualReport(
        111,
        TITLE,
        "六大核心戰略產業推動方案",
        "115/12/6 12:00",
        "全部",
        False,
        [("優等", Decimal(90)), ("甲等", Decimal(80)), ("乙等", Decimal(70)), ("丙等", Decimal(0))],
        [unit],
        [Distribution("3", "臺灣精準健康產業", {"乙等": 1}, 1, Decimal("79.99"))],
        Distribution("", "全方案", {"乙等": 1}, 1, Decimal("79.99")),
    )
    found = list(blocks(report))
    headings = [b.text for b in found if isinstance(b, Heading)]
    assert headings[:4] == [TITLE, "壹、評核結果摘要", "一、各填報單位等第", "二、各產業等第分布"]
    assert "臺灣精準健康產業／衛福部" in headings and "待改進事項" in headings
    tables = [b for b in found if isinstance(b, Table)]
    assert tables[1].rows[-1] == ["全方案", "0", "0", "1", "0", "1", "79.99"]
    indicator = next(t for t in tables if t.header[0] == "指標")
    assert indicator.rows[0] == ["kpi", "KPI 達成", "40", "達成率 80%", "80", "78", "—", "90：目標上修"]
    assert (
        report.thresholds_text()
        == "優等：90 分以上；甲等：80 分以上未達 90 分；乙等：70 分以上未達 80 分；丙等：未達 70 分"
    )
