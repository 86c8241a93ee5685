"""The annual evaluation report as the quarterly report's blocks (``reports.layout``): the docx and odt
renderers lay them out in the same page frame (landscape A4, 第 x 頁／共 y 頁, 示範資料 in the header)."""

from __future__ import annotations

from collections.abc import Iterator

from sixcore.annual.rules import score_text
from sixcore.reports.builder import DEMO_MARK
from sixcore.reports.layout import Block, Heading, PageBreak, Paragraph, Table

from .structure import AnnualReport, UnitPage

SUMMARY_HEADER = ["產業", "機關", "狀態", "總分", "等第"]
INDICATOR_HEADER = ["指標", "名稱", "權重", "系統帶入數據", "自評", "初核", "複核", "申復分數及理由"]
INDICATOR_WIDTHS = [1.6, 5.0, 1.4, 4.2, 1.5, 1.5, 1.5, 9.4]


def blocks(report: AnnualReport) -> Iterator[Block]:
    yield from _cover(report)
    yield from _summary(report)
    yield PageBreak()
    yield Heading(1, "貳、各填報單位評核結果")
    for unit in report.units:
        yield from unit_blocks(unit)


def _cover(report: AnnualReport) -> Iterator[Block]:
    yield Heading(0, report.title)
    for line in (
        f"方案：{report.program_name}",
        f"評核年度：{report.year} 年",
        f"產製時間：{report.generated_text}",
        f"資料範圍：{report.scope_text}",
        f"等第標準：{report.thresholds_text()}",
    ):
        yield Paragraph(line)
    if report.is_demo:
        yield Paragraph(f"{DEMO_MARK}：本報告內容為系統產生之示範資料，非真實評核結果。", "demo")
    yield PageBreak()


def distribution_rows(report: AnnualReport) -> list[list[str]]:
    return [
        [
            f"{d.key} {d.label}".strip(),
            *(str(d.counts.get(grade, 0)) for grade in report.grade_names),
            str(d.units),
            score_text(d.average),
        ]
        for d in [*report.by_industry, report.program]
    ]


def _summary(report: AnnualReport) -> Iterator[Block]:
    yield Heading(1, "壹、評核結果摘要")
    yield Heading(2, "一、各填報單位等第")
    yield Table(
        SUMMARY_HEADER,
        [[u.industry, u.agency, u.status, score_text(u.score), u.grade or "—"] for u in report.units]
        or [["—", "—", "—", "—", "—"]],
    )
    yield Heading(2, "二、各產業等第分布")
    yield Table(["產業", *report.grade_names, "單位數", "平均分數"], distribution_rows(report))


def unit_blocks(unit: UnitPage) -> Iterator[Block]:
    yield Heading(2, unit.title)
    yield Paragraph(f"狀態：{unit.status}；總分：{score_text(unit.score)}；等第：{unit.grade or '—'}。")
    yield Heading(3, "指標評分")
    yield Table(
        INDICATOR_HEADER,
        [
            [
                i.code,
                i.name,
                score_text(i.weight),
                i.figure or "—",
                score_text(i.self_score),
                score_text(i.first_score),
                score_text(i.review_score),
                f"{score_text(i.argued_score)}：{i.argued_reason}" if i.argued_score is not None else "",
            ]
            for i in unit.indicators
        ]
        or [["—"] * len(INDICATOR_HEADER)],
        widths=INDICATOR_WIDTHS,
    )
    yield Heading(3, "各階段評核意見")
    if unit.comments:
        yield Table(
            ["階段", "意見", "填寫人", "日期"],
            [[c.stage, c.text, c.author, c.date] for c in unit.comments],
            widths=[2.0, 17.0, 4.0, 3.1],
        )
    else:
        yield Paragraph("（尚無評核意見）")
    yield Heading(3, "待改進事項")
    if unit.improvements:
        for n, text in enumerate(unit.improvements, start=1):
            yield Paragraph(f"{n}. {text}")
    else:
        yield Paragraph("（無）")
