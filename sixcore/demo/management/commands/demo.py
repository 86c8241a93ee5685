"""``sixcore demo`` — demo users and deterministic synthetic submissions (示範資料) for 110Q1 … 112Q3,
then the other apps' demo data: coordination issues and decisions, the year-end evaluation, field
verifications and supplies (this app sits above them all; none of them imports it).

Every generated submission is flagged ``is_demo`` and every text says 示範資料, so demo data can never
pass for real figures. The same command run twice produces the same data (seeded generator; existing
demo submissions of a period are left as they are).

So that every role has work, the as-of date (112/10/11) falls in 112Q3's reporting window: its reports
are due 112/10/15 and stand in every state (drafts to fill, one returned with NDC's comment, submitted
ones awaiting the industry lead's consolidation, consolidated ones awaiting NDC's review, a few
approved). In 112Q2 a few agencies never submitted (late); the first of them has the period reopened.
"""

from __future__ import annotations

import random
import secrets
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError, CommandParser
from django.db import transaction

from sixcore.accounts.choices import AgencyKind, Role
from sixcore.accounts.models import Agency, User
from sixcore.annual.demo import load_demo as annual_demo
from sixcore.coordination import services as coordination
from sixcore.coordination.models import CoordinationIssue
from sixcore.core.changelog import ChangeLoggedCommand
from sixcore.core.roc import RocDateError, parse_quarter
from sixcore.fieldwork.demo import create_demo as create_field_verifications
from sixcore.plan.models import AnnualTarget, BudgetLine, Industry, Program
from sixcore.progress import workflow
from sixcore.progress.choices import BudgetUnit, WorkItemStatus
from sixcore.progress.clock import as_of
from sixcore.progress.models import CycleSettings, PeriodReopening, ReportingPeriod, Submission
from sixcore.progress.services import ensure_submissions, save_lines
from sixcore.progress.signals import batch

DEMO = "（示範資料）"
AS_OF = date(2023, 10, 11)  # 112/10/11: 112Q3 open (due 112/10/15), 112Q2's reports in
FIRST, LAST = (110, 1), (112, 3)
RETURN_COMMENT = f"{DEMO}請補充落後原因及佐證資料"
# Demo people: common surnames and given names, marked （示範） so no one takes them for a real officer;
# the history, the 待辦 page and the header show these instead of account names like moea_editor.
SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周徐蘇葉莊呂"
GIVEN_NAMES = ["怡君", "志明", "雅婷", "家豪", "淑芬", "俊傑", "佳穎", "建宏", "美玲", "冠宇"]
GIVEN_NAMES += ["宗翰", "惠雯", "承恩", "詩涵", "文彬", "玉珍", "柏宏", "欣怡", "國華", "靜宜"]


def demo_person(index: int) -> str:
    """The ``index``-th demo person's name, e.g. 陳怡君（示範）: distinct for the first 100."""
    return f"{SURNAMES[index % len(SURNAMES)]}{GIVEN_NAMES[index % len(GIVEN_NAMES)]}（示範）"


class Command(ChangeLoggedCommand):
    help = (
        "Create demo users (ndc, ndc_reviewer, <agency>_editor, <agency>_lead) and deterministic "
        "synthetic quarterly reports (示範資料), 110Q1–112Q3, as of 112/10/11."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password", help="Password of every demo user (default: a random one, printed once)."
        )
        parser.add_argument("--seed", type=int, default=110, help="Seed of the synthetic data.")
        parser.add_argument(
            "--until",
            default="112Q3",
            help="Last quarter to generate, the one being reported (default 112Q3).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not Program.objects.exists():
            raise CommandError("no program loaded: run 'sixcore plan load' first")
        password = options["password"] or secrets.token_urlsafe(12)
        users = self._users(password)
        settings = CycleSettings.get()
        settings.as_of = AS_OF
        settings.save()
        try:
            until = parse_quarter(options["until"])
        except RocDateError as exc:
            raise CommandError(f"--until: {exc}") from None
        generated = 0
        last = min(until, LAST)
        periods = [p for p in ReportingPeriod.objects.all() if FIRST <= (p.roc_year, p.quarter) <= last]
        # One transaction, and the stored evaluation refreshed once at its end (not after each save).
        with transaction.atomic(), batch():
            for index, period in enumerate(periods):
                if period.submissions.exists():
                    continue
                stage = (
                    "current"
                    if index == len(periods) - 1
                    else "previous"
                    if index == len(periods) - 2
                    else "past"
                )
                rng = random.Random(f"{options['seed']}-{period.code}")  # noqa: S311 - demo data, not security
                generated += self._period(period, users, rng, stage)
        editors = sum(name.endswith("_editor") for name in users)
        leads = sorted(name for name in users if name.endswith("_lead"))
        self.stdout.write(
            f"demo users: ndc (NDC administrator), ndc_reviewer, <agency>_editor for {editors} agencies, "
            f"industry leads {', '.join(leads)}"
        )
        if not options["password"]:
            self.stdout.write(f"password of every demo user (shown once): {password}")
        self.stdout.write(
            f"as-of date set to {AS_OF.isoformat()} (112/10/11); {generated} demo submissions generated (示範資料)"
        )
        self._coordination(users)
        self.stdout.write(annual_demo(users, AS_OF))
        self.stdout.write(f"{create_field_verifications(users)} demo field verifications (示範資料)")
        if "supplies" in get_commands():
            call_command("supplies", "demo", stdout=self.stdout)

    def _users(self, password: str) -> dict[str, User]:
        # Every demo user has the same password: hash it once (PBKDF2 is deliberately slow).
        encoded = make_password(password)
        users = {}
        specs = [("ndc", Role.NDC_ADMIN, "ndc"), ("ndc_reviewer", Role.NDC_REVIEWER, "ndc")]
        for agency in Agency.objects.filter(
            parent__isnull=True, kind__in=[AgencyKind.CORE, AgencyKind.MINISTRY]
        ):
            specs.append((f"{agency.code}_editor", Role.AGENCY_EDITOR, agency.code))
        # One industry-lead user per lead agency (經濟部 leads three industries: one moea_lead).
        lead_codes = sorted(set(Industry.objects.values_list("lead_agencies__code", flat=True)) - {None})
        specs.extend((f"{code}_lead", Role.INDUSTRY_LEAD, code) for code in lead_codes)
        for index, (username, role, agency_code) in enumerate(specs):
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"role": role, "agency": Agency.objects.get(code=agency_code)},
            )
            if created or password:
                user.password = encoded
                user.save(update_fields=["password"])
            # Earlier demos named people by account (moea_editor（示範資料）): those get a name too.
            if created or not user.first_name or user.first_name == f"{username}{DEMO}":
                user.first_name, user.last_name = demo_person(index), ""
                user.save(update_fields=["first_name", "last_name"])
            users[username] = user
        return users

    @transaction.atomic
    def _coordination(self, users: dict[str, User]) -> None:
        """Two open issues and a project meeting whose decisions are one overdue, one due soon, so the
        to-do lists have coordination work too (once: skipped when the first issue exists)."""
        title = f"{DEMO}離岸風電併網與港埠設施時程協調"
        if CoordinationIssue.objects.filter(title=title).exists():
            return
        agencies = {a.code: a for a in Agency.objects.filter(code__in=["moea", "motc", "mohw", "most"])}
        if len(agencies) < 4 or not {"moea_editor", "mohw_editor"} <= set(users):
            return
        with as_of(AS_OF - timedelta(days=30)):
            wind = coordination.raise_issue(
                users["moea_editor"],
                title=title,
                description=f"{DEMO}風場併網期程與港埠施工檔期重疊，請協調交通部調整碼頭使用時程。",
                agencies=[agencies["motc"]],
                raising_agency=agencies["moea"],
                due_date=AS_OF + timedelta(days=20),
            )
            coordination.raise_issue(
                users["mohw_editor"],
                title=f"{DEMO}精準健康資料跨機關介接",
                description=f"{DEMO}健保資料與研究資料庫介接之法規適用，請協調科技部共同研議。",
                agencies=[agencies["most"]],
                raising_agency=agencies["mohw"],
            )
        with as_of(AS_OF - timedelta(days=20)):
            meeting = coordination.record_meeting(
                users["ndc"],
                date=AS_OF - timedelta(days=20),
                title=f"{DEMO}112 年第 3 次專案會議",
                attendees=[agencies["moea"], agencies["motc"]],
                agenda=[wind],
            )
            coordination.add_decision(
                users["ndc"],
                meeting,
                text=f"{DEMO}請經濟部於會後 2 週內提出併網時程調整方案。",
                owner=agencies["moea"],
                deadline=AS_OF - timedelta(days=6),
                issue=wind,
                is_demo=True,
            )
            coordination.add_decision(
                users["ndc"],
                meeting,
                text=f"{DEMO}請交通部盤點港埠可用檔期並回復國發會。",
                owner=agencies["motc"],
                deadline=AS_OF + timedelta(days=14),
                issue=wind,
                is_demo=True,
            )

    @transaction.atomic
    def _period(self, period: ReportingPeriod, users: dict[str, User], rng: random.Random, stage: str) -> int:
        """``past``: every report approved (a few submitted late); ``previous``: the same, but a few
        agencies never submitted; ``current``: the period being reported, with reports in every state."""
        if stage == "current":
            return self._current(period, users, rng)
        due = period.due_date
        with as_of(due - timedelta(days=20)):
            submissions = ensure_submissions(period, is_demo=True)
        budget = {(b.industry_id, b.year): b.amount for b in BudgetLine.objects.filter(year=period.roc_year)}
        late_agencies: list[Submission] = []
        for submission in submissions:
            editor = users.get(f"{submission.agency.code}_editor")
            if editor is None:
                continue
            day = due - timedelta(days=rng.randint(1, 12))
            with as_of(day):
                save_lines(submission, editor, submission.version, self._lines(submission, rng, budget, day))
            fate = rng.random()
            if stage == "previous" and fate < 0.08:
                late_agencies.append(submission)  # never submitted: late
                continue
            late = fate > 0.93
            with as_of(due + timedelta(days=3) if late else day):
                workflow.submit(submission, editor, f"{DEMO}送出")
            with as_of(due + timedelta(days=10)):
                workflow.approve(submission, users["ndc_reviewer"], f"{DEMO}同意備查")
        if late_agencies:
            # NDC reopened the period for the first late agency, so its officer can still file.
            PeriodReopening.objects.get_or_create(
                period=period,
                agency=late_agencies[0].agency,
                defaults={
                    "reason": f"{DEMO}同意補報",
                    "until": AS_OF + timedelta(days=20),
                    "opened_by": users["ndc"],
                },
            )
        return len(submissions)

    def _current(self, period: ReportingPeriod, users: dict[str, User], rng: random.Random) -> int:
        """The period of the as-of date: drafts (empty or begun), one returned with NDC's comment, some
        submitted (the industry lead's to consolidate), some consolidated (NDC's to review), a few
        approved. Workflow dates fall between the period's opening and the as-of date."""
        due = period.due_date
        opened = period.end.replace(day=1)
        with as_of(opened):
            submissions = ensure_submissions(period, is_demo=True)
        budget = {(b.industry_id, b.year): b.amount for b in BudgetLine.objects.filter(year=period.roc_year)}
        leads = {
            industry_id: users[f"{code}_lead"]
            for industry_id, code in Industry.objects.filter(pk__in={s.industry_id for s in submissions})
            .order_by("pk", "lead_agencies__order")
            .values_list("pk", "lead_agencies__code")
            if code and f"{code}_lead" in users
        }
        last_day = min(AS_OF, due) - timedelta(days=1)
        span = max((last_day - opened).days, 1)
        returned = False
        for submission in submissions:
            editor = users.get(f"{submission.agency.code}_editor")
            if editor is None:
                continue
            fate = rng.random()
            day = opened + timedelta(days=rng.randint(span // 2, span))
            if fate < 0.2:
                continue  # not begun: to fill
            with as_of(day):
                save_lines(submission, editor, submission.version, self._lines(submission, rng, budget, day))
            if fate < 0.35:
                continue  # begun, not submitted
            with as_of(day):
                workflow.submit(submission, editor, f"{DEMO}送出")
            reviewer = users["ndc_reviewer"]
            if fate < 0.45 or not returned:
                returned = True
                with as_of(last_day):
                    workflow.return_for_revision(submission, reviewer, RETURN_COMMENT)
                continue
            lead = leads.get(submission.industry_id)
            if fate < 0.75 or lead is None:
                continue  # submitted: the industry lead's to consolidate
            with as_of(last_day):
                workflow.consolidate(submission, lead, f"{DEMO}彙整")
            if fate < 0.92:
                continue  # consolidated: NDC's to review
            with as_of(last_day):
                workflow.approve(submission, reviewer, f"{DEMO}同意備查")
        return len(submissions)

    def _lines(self, submission: Submission, rng: random.Random, budget: dict, day: date) -> dict[str, dict]:
        period = submission.period
        share = Decimal(period.quarter) / 4
        lines: dict[str, dict[str, dict[str, Any]]] = {
            "measures": {},
            "kpis": {},
            "work_items": {},
            "budget": {},
        }
        for report in submission.measure_reports.select_related("measure"):
            code = report.measure.code
            lines["measures"][code] = {
                "progress": f"{DEMO}{period.label}「{report.measure.name}」依期程推動，完成本季預定工作。",
                "highlights": f"{DEMO}{code} 本季辦理說明會 {rng.randint(1, 3)} 場，促成合作 {rng.randint(0, 2)} 案。",
                "next_quarter": f"{DEMO}持續辦理{report.measure.name}相關工作。",
            }
            industry_budget = budget.get((submission.industry_id, period.roc_year), Decimal(0))
            annual = (industry_budget / max(submission.measure_reports.count(), 1)).quantize(Decimal("0.01"))
            allocated = (annual * share).quantize(Decimal("0.01"))
            rate = Decimal(rng.choice([72, 85, 91, 95, 98, 100])) / 100
            lines["budget"][code] = {
                "unit": BudgetUnit.HUNDRED_MILLION,
                "annual_budget": annual,
                "allocated": allocated,
                "executed": (allocated * rate).quantize(Decimal("0.01")),
            }
        targets = {
            a.kpi_id: a.target
            for a in AnnualTarget.objects.filter(kpi__reports__submission=submission, year=period.roc_year)
        }
        for report in submission.kpi_reports.select_related("kpi__measure"):
            target = targets.get(report.kpi_id) or {}
            if target.get("kind") == "milestone" or not target:
                lines["kpis"][f"{report.kpi.measure.code}/{report.kpi.code}"] = {
                    "done": period.quarter == 4 or rng.random() < 0.4,
                    "note": DEMO,
                }
                continue
            goal = Decimal(str(target.get("value") or target.get("min") or 1))
            # A level (a rate or stock to hold, e.g. ≥ 24 %) is held all year, not built up by quarter.
            if target.get("kind") == "level":
                progress = Decimal(1)
            else:
                progress = share if target.get("kind") == "per_period" or period.quarter < 4 else Decimal(1)
            factor = Decimal(rng.choice([60, 80, 95, 100, 105, 120])) / 100
            lines["kpis"][f"{report.kpi.measure.code}/{report.kpi.code}"] = {
                "value": (goal * progress * factor).quantize(Decimal("0.01")),
                "note": DEMO,
            }
        for report in submission.work_item_reports.select_related("work_item__schedule"):
            item = report.work_item
            planned = workflow.planned_percent(item.start, item.end, day) or Decimal(0)
            behind = Decimal(rng.choice([0, 0, 0, 5, 15, 25]))
            percent = max(Decimal(0), planned - behind).quantize(Decimal("1"))
            values: dict[str, Any] = {"percent": percent}
            if percent >= 100:
                values |= {"status": WorkItemStatus.DONE, "completed_on": min(item.end, day)}
            elif behind >= 15:
                values |= {
                    "status": WorkItemStatus.LAGGING,
                    "lag_reason": f"{DEMO}廠商申請案件審查時程延長",
                    "remedy": f"{DEMO}增加審查會議頻率，預計下季趕上進度",
                }
            elif percent == 0:
                values["status"] = WorkItemStatus.NOT_STARTED
            else:
                values["status"] = WorkItemStatus.ON_TRACK
            lines["work_items"][f"{item.schedule.code}/{item.code}"] = values
        return lines
