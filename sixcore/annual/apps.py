from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AnnualConfig(AppConfig):
    name = "sixcore.annual"
    label = "annual"
    verbose_name = _("Year-end evaluation")

    def ready(self) -> None:
        from sixcore.core import actions
        from sixcore.progress import extensions

        from . import notify, tracking

        tracking.register()
        # ``sixcore remind`` mails whoever must complete a stage due within two weeks or overdue.
        extensions.register_reminders(
            extensions.Reminders(
                option="no-annual",
                help="Leave out the year-end evaluation stages due or overdue.",
                label="year-end evaluation",
                messages=notify.annual_messages,
            )
        )
        # The history tab's words for the steps this app logs (core.actions).
        actions.register(
            {
                "annual.submit_self": pgettext_lazy("annual history", "Self-assessment submitted"),
                "annual.complete_initial": pgettext_lazy("annual history", "Initial review completed"),
                "annual.complete_review": pgettext_lazy("annual history", "NDC review completed"),
                "annual.approve": pgettext_lazy("annual history", "Approved"),
                "annual.publish": pgettext_lazy("annual history", "Published"),
                "annual.return": pgettext_lazy("annual history", "Returned to the previous stage"),
                "annual.reopen": pgettext_lazy("annual history", "Reopened"),
                "annual.extend": pgettext_lazy("annual history", "Deadline extended"),
                "annual.score": pgettext_lazy("annual history", "Scored"),
                "annual.prefill": pgettext_lazy("annual history", "Figures filled in"),
                "annual.ensure_evaluations": pgettext_lazy("annual history", "Evaluations created"),
            }
        )
