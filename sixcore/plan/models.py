"""The program as data: one complete snapshot per plan revision.

Every object of the plan hangs off a ``Program`` row, and each revision of the plan (滾動檢討修正) is a
``Program`` row of its own holding a full copy. Revision 0 is the approved document (核定本 110 年 5 月)
and is never edited by a later revision, so what the document said stays readable forever, and
evaluation of a period can read exactly the revision in force then. Natural keys (industry code, measure
code, schedule code, work-item code) identify the same object across revisions.

Every record transcribed from the document keeps ``line``: the line of the seed text it came from.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from sixcore.accounts.models import Agency

from .choices import AgencyRole, BudgetTotalKind, SubAreaCode, TargetSource
from .typeset import typeset

YEARS = (110, 111, 112, 113)


class Program(models.Model):
    """One revision of the program. Revision 0 is the approved document."""

    name = models.CharField(_("name"), max_length=200)
    revision = models.PositiveIntegerField(_("revision"), unique=True)
    title = models.CharField(_("revision title"), max_length=200, help_text=_("e.g. 核定本"))
    revision_date = models.DateField(_("revision date"))
    start_year = models.PositiveSmallIntegerField(_("first year (ROC)"))
    end_year = models.PositiveSmallIntegerField(_("last year (ROC)"))
    effective_from = models.CharField(
        _("effective from period"),
        max_length=8,
        blank=True,
        help_text=_("ROC quarter, e.g. 112Q1; blank for revision 0"),
    )
    reason = models.TextField(_("reason"), blank=True)
    source = models.CharField(_("source document"), max_length=200, blank=True)
    total_budget_text = models.CharField(_("stated total budget"), max_length=100, blank=True)
    content_hash = models.CharField(_("hash of the loaded data files"), max_length=64, blank=True)
    loaded_at = models.DateTimeField(_("loaded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("program revision")
        verbose_name_plural = _("program revisions")
        ordering = ["revision"]

    def __str__(self) -> str:
        return f"{self.name} (rev. {self.revision} {self.title})"


# Which Program rows are part of the plan. plan itself loads revision 0 only, which is in force; an app
# that creates other snapshots (revisions: drafts and rejected proposals) registers in its
# ``AppConfig.ready()`` which of them are not, so "the plan" is read here without importing that app.
_NOT_IN_FORCE: list[models.Q] = []


def register_not_in_force(condition: models.Q) -> None:
    """Program rows that ``condition`` selects are not part of the plan (invisible to evaluation, the
    cycle and the public pages)."""
    if condition not in _NOT_IN_FORCE:
        _NOT_IN_FORCE.append(condition)


def programs_in_force() -> models.QuerySet[Program]:
    """Program rows that are part of the plan: revision 0 and approved revisions (not drafts, not
    rejected proposals). Everything that reads "the plan" should start here."""
    programs = Program.objects.all()
    for condition in _NOT_IN_FORCE:
        programs = programs.exclude(condition)
    return programs


class Industry(models.Model):
    """One of the six core strategic industries (codes 1–6)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="industries")
    code = models.CharField(_("code"), max_length=4)
    name = models.CharField(_("name"), max_length=100)
    vision = models.CharField(_("vision"), max_length=300)
    vision_line = models.PositiveIntegerField(_("seed line of the vision"), null=True, blank=True)
    kpi_table_heading = models.CharField(_("heading of its 預期效益 table"), max_length=300, blank=True)
    framework_strategies = models.JSONField(
        _("strategies listed in 表 1"),
        default=list,
        blank=True,
        help_text=_("[{text, line}] as 表 1 lists them (they differ from the KPI-table strategy headings)"),
    )
    line = models.PositiveIntegerField(_("seed line"), null=True, blank=True)
    lead_agencies = models.ManyToManyField(
        Agency, through="IndustryLeadAgency", related_name="led_industries", verbose_name=_("lead units")
    )

    class Meta:
        verbose_name = _("industry")
        verbose_name_plural = _("industries")
        ordering = ["program", "code"]
        constraints = [models.UniqueConstraint(fields=["program", "code"], name="industry_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class IndustryLeadAgency(models.Model):
    """An industry's 主政單位, in the order the document lists them."""

    industry = models.ForeignKey(Industry, on_delete=models.CASCADE)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]
        constraints = [models.UniqueConstraint(fields=["industry", "agency"], name="industry_lead_unique")]

    def __str__(self) -> str:
        return f"{self.industry}: {self.agency}"


class SubArea(models.Model):
    """A sub-area of an industry with its own KPI table (only industry 4: 航空與船艦, 太空)."""

    industry = models.ForeignKey(Industry, on_delete=models.CASCADE, related_name="sub_areas")
    code = models.CharField(_("code"), max_length=32, choices=SubAreaCode.choices)
    name = models.CharField(_("name"), max_length=100)
    vision = models.CharField(_("vision"), max_length=300, blank=True)
    kpi_table_heading = models.CharField(_("heading of its 預期效益 table"), max_length=300, blank=True)
    lead_agency_names = models.JSONField(_("lead units"), default=list, blank=True)
    line = models.PositiveIntegerField(_("seed line"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("sub-area")
        verbose_name_plural = _("sub-areas")
        ordering = ["industry", "order"]
        constraints = [models.UniqueConstraint(fields=["industry", "code"], name="subarea_unique_code")]

    def __str__(self) -> str:
        return self.name


class Strategy(models.Model):
    """A 推動策略 heading of the KPI table, e.g. (一)研發新世代半導體技術."""

    industry = models.ForeignKey(Industry, on_delete=models.CASCADE, related_name="strategies")
    sub_area = models.ForeignKey(
        SubArea, on_delete=models.CASCADE, null=True, blank=True, related_name="strategies"
    )
    seq = models.PositiveSmallIntegerField(_("sequence in the industry"))
    label = models.CharField(_("label"), max_length=16, blank=True)
    name = models.CharField(_("name"), max_length=200)
    line = models.PositiveIntegerField(_("seed line"), null=True, blank=True)
    notes = models.TextField(_("transcription notes"), blank=True)

    class Meta:
        verbose_name = _("strategy")
        verbose_name_plural = _("strategies")
        ordering = ["industry", "seq"]
        constraints = [models.UniqueConstraint(fields=["industry", "seq"], name="strategy_unique_seq")]

    def __str__(self) -> str:
        return f"{self.label}{self.name}"

    @property
    def code(self) -> str:
        return f"{self.industry.code}.S{self.seq}"


class ScheduleTable(models.Model):
    """A 辦理重點及期程表, numbered ``N-M`` (a numbering of its own, linked to measures by title)."""

    industry = models.ForeignKey(Industry, on_delete=models.CASCADE, related_name="schedules")
    code = models.CharField(_("code"), max_length=8)
    title = models.CharField(_("title"), max_length=300)
    heading_agency_names = models.JSONField(_("agencies in the heading"), default=list, blank=True)
    line = models.PositiveIntegerField(_("seed line"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    notes = models.TextField(_("transcription notes"), blank=True)

    class Meta:
        verbose_name = _("schedule table")
        verbose_name_plural = _("schedule tables")
        ordering = ["industry", "order"]
        constraints = [models.UniqueConstraint(fields=["industry", "code"], name="schedule_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Measure(models.Model):
    """A 具體措施 / 發展策略 ``N.M`` of the KPI table — the unit that KPIs and reports hang on."""

    industry = models.ForeignKey(Industry, on_delete=models.CASCADE, related_name="measures")
    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="measures")
    code = models.CharField(_("code"), max_length=8)
    code_as_written = models.CharField(_("code as printed"), max_length=8, blank=True)
    name = models.CharField(_("name"), max_length=300)
    schedule = models.ForeignKey(
        ScheduleTable,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="measures",
        verbose_name=_("schedule table"),
    )
    line = models.PositiveIntegerField(_("seed line"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    notes = models.TextField(_("transcription notes"), blank=True)
    agencies = models.ManyToManyField(
        Agency, through="MeasureAgency", related_name="measures", verbose_name=_("agencies")
    )

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        ordering = ["industry", "order"]
        constraints = [models.UniqueConstraint(fields=["industry", "code"], name="measure_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class MeasureAgency(models.Model):
    """An agency in the measure's 主協辦機關 column, in the printed order."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]
        constraints = [models.UniqueConstraint(fields=["measure", "agency"], name="measure_agency_unique")]

    def __str__(self) -> str:
        return f"{self.measure.code}: {self.agency}"


class Task(models.Model):
    """A 事項 of a schedule table, with its stated 目標 bullets."""

    schedule = models.ForeignKey(ScheduleTable, on_delete=models.CASCADE, related_name="tasks")
    seq = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=300)
    targets = models.JSONField(_("stated targets"), default=list, blank=True)
    line = models.PositiveIntegerField(_("seed line"), null=True, blank=True)
    notes = models.TextField(_("transcription notes"), blank=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["schedule", "seq"]
        constraints = [models.UniqueConstraint(fields=["schedule", "seq"], name="task_unique_seq")]

    def __str__(self) -> str:
        return f"{self.seq}. {self.title}"


class Approach(models.Model):
    """A 具體作法 under a task."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="approaches")
    code = models.CharField(_("code"), max_length=16, blank=True)
    title = models.CharField(_("title"), max_length=500)
    line = models.PositiveIntegerField(_("seed line"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    notes = models.TextField(_("transcription notes"), blank=True)

    class Meta:
        verbose_name = _("approach")
        verbose_name_plural = _("approaches")
        ordering = ["task", "order"]
        constraints = [models.UniqueConstraint(fields=["task", "order"], name="approach_unique_order")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}".strip()


class WorkItem(models.Model):
    """A 重點工作項目 with its 起訖時程 (month precision, stored as the 1st of the month)."""

    schedule = models.ForeignKey(ScheduleTable, on_delete=models.CASCADE, related_name="work_items")
    approach = models.ForeignKey(Approach, on_delete=models.CASCADE, related_name="work_items")
    code = models.CharField(_("code"), max_length=16)
    code_in_source = models.BooleanField(_("code printed in the document"), default=True)
    title = models.TextField(_("title"))
    period_text = models.CharField(_("起訖時程 as printed"), max_length=200, blank=True)
    start = models.DateField(_("start month"), null=True, blank=True)
    end = models.DateField(_("end month"), null=True, blank=True)
    line = models.PositiveIntegerField(_("seed line"), null=True, blank=True)
    order = models.PositiveIntegerField(default=0)
    notes = models.TextField(_("transcription notes"), blank=True)
    inferred = models.JSONField(
        _("values inferred, not printed"),
        default=dict,
        blank=True,
        help_text=_("{field: reason} for each value the data infers (agencies, period, code)"),
    )
    agencies = models.ManyToManyField(
        Agency, through="WorkItemAgency", related_name="work_items", verbose_name=_("agencies")
    )

    class Meta:
        verbose_name = _("work item")
        verbose_name_plural = _("work items")
        ordering = ["schedule", "order"]
        constraints = [models.UniqueConstraint(fields=["schedule", "code"], name="workitem_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.title[:40]}"

    @property
    def title_display(self) -> str:
        """The title as people read it (typeset: α-site, not ``$\\alpha$ -site``)."""
        return typeset(self.title)


class WorkItemAgency(models.Model):
    """主辦 or 協辦 agency of a work item."""

    work_item = models.ForeignKey(WorkItem, on_delete=models.CASCADE)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    role = models.CharField(max_length=8, choices=AgencyRole.choices)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["role", "order"]
        constraints = [
            models.UniqueConstraint(fields=["work_item", "agency", "role"], name="workitem_agency_unique")
        ]

    def __str__(self) -> str:
        return f"{self.work_item.code}: {self.agency} ({self.role})"


class KPI(models.Model):
    """A 全期目標 ``N.M.K`` of the 預期效益 table with its four annual targets.

    ``code`` is not unique in the document (6.2.2 is printed under 6.1 and under 6.2), so a KPI is
    identified by its measure and code.
    """

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="kpis")
    code = models.CharField(_("code"), max_length=16)
    order = models.PositiveSmallIntegerField(default=0)
    full_term_text = models.TextField(_("full-term target"))
    full_term_target = models.JSONField(_("quantified full-term target"), null=True, blank=True)
    full_term_source = models.CharField(
        max_length=10, choices=TargetSource.choices, default=TargetSource.PARSED
    )
    own_agencies = models.BooleanField(
        _("has its own agency cell"),
        default=False,
        help_text=_("False: the measure's agencies apply"),
    )
    line = models.PositiveIntegerField(_("seed line"), null=True, blank=True)
    extra_lines = models.JSONField(_("continuation lines"), default=list, blank=True)
    notes = models.TextField(_("transcription notes"), blank=True)
    agencies = models.ManyToManyField(
        Agency, through="KPIAgency", related_name="kpis", verbose_name=_("agencies")
    )

    class Meta:
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        ordering = ["measure", "order"]
        constraints = [models.UniqueConstraint(fields=["measure", "code"], name="kpi_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.full_term_text[:40]}"

    @property
    def full_term_display(self) -> str:
        """The full-term target as people read it (typeset; see plan/typeset.py). The footnote marker
        of 5.3.2 is removed where the page or export knows the footnote (``typeset.strip_marker``)."""
        return typeset(self.full_term_text)


class KPIAgency(models.Model):
    """Agencies responsible for a KPI: its own cell when printed, else the measure's."""

    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]
        constraints = [models.UniqueConstraint(fields=["kpi", "agency"], name="kpi_agency_unique")]

    def __str__(self) -> str:
        return f"{self.kpi.code}: {self.agency}"


class TargetCell(models.Model):
    """The text of one annual-target cell. A cell merged over several KPI rows is stored once."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="target_cells")
    text = models.TextField(_("text"), blank=True)
    line = models.PositiveIntegerField(_("seed line"), null=True, blank=True)

    class Meta:
        verbose_name = _("target cell")
        verbose_name_plural = _("target cells")

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def display(self) -> str:
        """The cell text as people read it (typeset; see plan/typeset.py)."""
        return typeset(self.text)


class AnnualTarget(models.Model):
    """A KPI's target for one ROC year (110–113), pointing at its (possibly shared) cell."""

    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE, related_name="annual_targets")
    year = models.PositiveSmallIntegerField(_("year (ROC)"))
    cell = models.ForeignKey(TargetCell, on_delete=models.CASCADE, related_name="annual_targets")
    merged = models.BooleanField(_("cell shared with other KPIs"), default=False)
    target = models.JSONField(_("quantified target"), null=True, blank=True)
    source = models.CharField(max_length=10, choices=TargetSource.choices, default=TargetSource.PARSED)
    # A shared cell stays shared as text; each KPI's target is read from the part about it.
    part = models.TextField(_("the part of the cell about this KPI"), blank=True)
    reading_note = models.TextField(_("why this part was read for this KPI"), blank=True)

    class Meta:
        verbose_name = _("annual target")
        verbose_name_plural = _("annual targets")
        ordering = ["kpi", "year"]
        constraints = [models.UniqueConstraint(fields=["kpi", "year"], name="annual_target_unique_year")]

    def __str__(self) -> str:
        return f"{self.kpi.code} {self.year}: {self.cell.text[:40]}"

    @property
    def text(self) -> str:
        return self.cell.text


class Footnote(models.Model):
    """A footnote of the document: its number, its text and the cell it belongs to.

    ``attaches_to`` names the cell as the export does: ``kpi:5.3.2:full_term``,
    ``task:5-3:2:target`` (a 目標 bullet of a task), or blank for a footnote of the body text.
    ``marker`` is the text the footnote marker left in the cell (「10」 after 「1,000 億元」).
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="footnotes")
    number = models.PositiveSmallIntegerField(_("number"))
    text = models.TextField(_("text"))
    attaches_to = models.CharField(_("cell it belongs to"), max_length=64, blank=True)
    marker = models.CharField(_("marker left in the cell"), max_length=16, blank=True)
    line = models.PositiveIntegerField(_("seed line of the footnote text"), null=True, blank=True)
    marker_line = models.PositiveIntegerField(_("seed line of the marker"), null=True, blank=True)

    class Meta:
        verbose_name = _("footnote")
        verbose_name_plural = _("footnotes")
        ordering = ["program", "number"]
        constraints = [models.UniqueConstraint(fields=["program", "number"], name="footnote_unique_number")]

    def __str__(self) -> str:
        return f"{self.number} {self.text[:40]}"


class BudgetLine(models.Model):
    """A cell of 表 3: an industry's budget for one year, in 億元 (100 million NTD)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="budget_lines")
    industry = models.ForeignKey(Industry, on_delete=models.CASCADE, related_name="budget_lines")
    year = models.PositiveSmallIntegerField(_("year (ROC)"))
    amount = models.DecimalField(_("amount (億元)"), max_digits=10, decimal_places=2)
    line = models.PositiveIntegerField(_("seed line"), null=True, blank=True)

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["program", "industry", "year"]
        constraints = [models.UniqueConstraint(fields=["industry", "year"], name="budget_unique_cell")]

    def __str__(self) -> str:
        return f"{self.industry.code} {self.year}: {self.amount}"


class BudgetStatedTotal(models.Model):
    """A 小計 cell of 表 3 as the document states it (checked by the audit, never recomputed into it)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="budget_totals")
    kind = models.CharField(max_length=10, choices=BudgetTotalKind.choices)
    industry = models.ForeignKey(Industry, on_delete=models.CASCADE, null=True, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    amount = models.DecimalField(_("amount (億元)"), max_digits=10, decimal_places=2)
    line = models.PositiveIntegerField(_("seed line"), null=True, blank=True)

    class Meta:
        verbose_name = _("budget subtotal as stated")
        verbose_name_plural = _("budget subtotals as stated")
        ordering = ["program", "kind", "industry", "year"]

    def __str__(self) -> str:
        return f"{self.kind} {self.industry.code if self.industry else ''} {self.year or ''}: {self.amount}"


class SecurityBudgetRatio(models.Model):
    """A cell of 表 2: the minimum share of a mid/long-term plan's budget to spend on 資安."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="security_ratios")
    year_label = models.CharField(_("year"), max_length=20)
    tier = models.CharField(_("plan size"), max_length=40)
    text = models.CharField(_("text"), max_length=200)
    percent = models.DecimalField(_("percent"), max_digits=5, decimal_places=2)
    basis = models.CharField(_("basis"), max_length=100)
    line = models.PositiveIntegerField(_("seed line"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("security budget ratio (表 2)")
        verbose_name_plural = _("security budget ratios (表 2)")
        ordering = ["program", "order"]

    def __str__(self) -> str:
        return f"{self.year_label} {self.tier}: {self.text}"
