"""``sixcore remind --period 111Q2`` — e-mail every reporting unit that has not submitted.

Before the due date each unit gets a reminder; after it, an overdue notice goes to the unit and to NDC.
Mail goes through Django's e-mail backend (console by default, SMTP when configured).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mass_mail
from django.core.management.base import CommandError, CommandParser

from sixcore.core.changelog import ChangeLoggedCommand
from sixcore.core.roc import RocDateError, format_roc_date
from sixcore.progress.choices import SubmissionStatus
from sixcore.progress.clock import today
from sixcore.progress.models import ReportingPeriod


class Command(ChangeLoggedCommand):
    help = "E-mail the reporting units that have not submitted for a period (reminder, or overdue notice)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", required=True, help="ROC quarter, e.g. 111Q2 (or 2022Q2).")
        parser.add_argument("--dry-run", action="store_true", help="List the recipients without sending.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            period = ReportingPeriod.by_code(options["period"])
        except RocDateError as exc:
            raise CommandError(f"--period: {exc}") from None
        except ReportingPeriod.DoesNotExist:
            raise CommandError(f"--period: there is no reporting period {options['period']}") from None
        overdue = today() > period.due_date
        pending = period.submissions.filter(status=SubmissionStatus.DRAFT).select_related(
            "agency", "industry"
        )
        messages = []
        for submission in pending:
            recipients = list(
                submission.agency.users.filter(is_active=True)
                .exclude(email="")
                .values_list("email", flat=True)
            ) or [f"{submission.agency.code}@agencies.invalid"]
            if overdue:
                subject = f"【逾期通知】{period.label}六大核心戰略產業推動方案管考資料尚未提報（{submission.industry.name}）"
                body = (
                    f"{submission.agency.name} 您好：\n\n{period.label}之管考資料（{submission.industry.name}）"
                    f"應於 {format_roc_date(period.due_date)} 前提報，目前尚未送出，請儘速辦理。\n\n國家發展委員會"
                )
                recipients = [*recipients, settings.NDC_NOTIFY_EMAIL]
            else:
                subject = f"【提醒】{period.label}六大核心戰略產業推動方案管考資料請於 {format_roc_date(period.due_date)} 前提報"
                body = (
                    f"{submission.agency.name} 您好：\n\n請於 {format_roc_date(period.due_date)} 前完成"
                    f"{period.label}（{submission.industry.name}）之辦理情形、重要執行亮點、下一季重點工作、"
                    "績效指標、重點工作進度及經費執行之填報。\n\n國家發展委員會"
                )
            messages.append((subject, body, settings.DEFAULT_FROM_EMAIL, recipients))
        kind = "overdue notices" if overdue else "reminders"
        if options["dry_run"]:
            for subject, _body, _sender, recipients in messages:
                self.stdout.write(f"{', '.join(recipients)}: {subject}")
        else:
            send_mass_mail(messages, fail_silently=False)
        self.stdout.write(
            f"{period.code}: {len(messages)} {kind} {'listed' if options['dry_run'] else 'sent'}"
        )
