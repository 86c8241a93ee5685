"""``sixcore remind --period 111Q2`` — e-mail every reporting unit that has not submitted, every
agency with follow-up items (追蹤事項) due within 30 days or overdue, and whoever must complete a stage
of the year-end evaluation (年度評核) due within two weeks or overdue (``annual/notify.py``).

Before the due date each unit gets a reminder; after it, an overdue notice goes to the unit and to NDC.
Follow-up items and evaluation stages are judged as of today; ``--no-follow-ups`` and ``--no-annual``
leave them out. Those apps add their mail through ``progress.extensions.register_reminders``.
Mail goes through Django's e-mail backend (console by default, SMTP when configured).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mass_mail
from django.core.management.base import CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext

from sixcore.core.changelog import ChangeLoggedCommand
from sixcore.core.roc import RocDateError, format_roc_date
from sixcore.progress.choices import SubmissionStatus
from sixcore.progress.clock import today
from sixcore.progress.extensions import reminders
from sixcore.progress.models import ReportingPeriod


class Command(ChangeLoggedCommand):
    help = "E-mail the reporting units that have not submitted for a period (reminder, or overdue notice)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", required=True, help="ROC quarter, e.g. 111Q2 (or 2022Q2).")
        parser.add_argument("--dry-run", action="store_true", help="List the recipients without sending.")
        for other in reminders():
            parser.add_argument(f"--{other.option}", action="store_true", dest=other.dest, help=other.help)

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
        # The mail is written in the site's language (the agencies read zh-TW), whoever runs the command.
        with translation.override(settings.LANGUAGE_CODE):
            messages = [self.message(period, submission, overdue) for submission in pending]
            others = [(o, [] if options[o.dest] else o.messages(today())) for o in reminders()]
        mail = messages + [m for _other, sent in others for m in sent]
        kind = "overdue notices" if overdue else "reminders"
        if options["dry_run"]:
            for subject, _body, _sender, recipients in mail:
                self.stdout.write(f"{', '.join(recipients)}: {subject}")
        else:
            send_mass_mail(mail, fail_silently=False)
        done = "listed" if options["dry_run"] else "sent"
        self.stdout.write(f"{period.code}: {len(messages)} {kind} {done}")
        for other, sent in others:
            self.stdout.write(f"{other.label}: {len(sent)} reminders {done}")

    @staticmethod
    def message(period: ReportingPeriod, submission, overdue: bool) -> tuple[str, str, str, list[str]]:
        """(subject, body, sender, recipients) of one unit's reminder or overdue notice."""
        recipients = submission.agency.mail_recipients()
        words = {
            "period": period.label,
            "industry": submission.industry.name,
            "agency": submission.agency.name,
            "due": format_roc_date(period.due_date),
        }
        if overdue:
            subject = gettext(
                "[Overdue] %(period)s monitoring data of the Six Core Strategic Industries Program not yet "
                "reported (%(industry)s)"
            )
            body = gettext(
                "Dear %(agency)s,\n\nThe monitoring data of %(period)s (%(industry)s) was due by %(due)s "
                "and has not been submitted yet. Please submit it as soon as possible.\n\n"
                "National Development Council"
            )
            recipients = [*recipients, settings.NDC_NOTIFY_EMAIL]
        else:
            subject = gettext(
                "[Reminder] %(period)s monitoring data of the Six Core Strategic Industries Program due by %(due)s"
            )
            body = gettext(
                "Dear %(agency)s,\n\nPlease report by %(due)s the progress, key highlights, next quarter's key "
                "work, KPIs, work-item progress and budget execution of %(period)s (%(industry)s).\n\n"
                "National Development Council"
            )
        return subject % words, body % words, settings.DEFAULT_FROM_EMAIL, recipients
