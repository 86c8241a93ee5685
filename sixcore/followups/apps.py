from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class FollowUpsConfig(AppConfig):
    name = "sixcore.followups"
    label = "followups"
    verbose_name = _("Follow-up items")

    def ready(self) -> None:
        from sixcore.core import actions
        from sixcore.core.changelog import track_changes
        from sixcore.evaluation.extensions import AttentionSource, register_attention_source
        from sixcore.progress import extensions

        from . import attention, excel, models, notify, report, services

        track_changes(models.FollowUp, related=lambda f: [f.owner])
        track_changes(models.FollowUpResponse, related=lambda r: [r.follow_up, r.submission])
        track_changes(models.FollowUpRuling, related=lambda r: [r.follow_up])
        # The history tab's words for NDC's rulings on an item (core.actions).
        actions.register(
            {
                "followup.close": pgettext_lazy("follow-up history", "Closed (解除列管)"),
                "followup.keep": pgettext_lazy("follow-up history", "Kept on the list (繼續列管)"),
                "followup.reopen": pgettext_lazy("follow-up history", "Tracked again"),
                "followup.publish": pgettext_lazy("follow-up history", "Published"),
                "followup.unpublish": pgettext_lazy("follow-up history", "Unpublished"),
            }
        )
        # 追蹤事項辦理情形 is a part of the owner's quarterly report: its form section (saved with the
        # lines, checked before 送出審查 with the narratives) and its workbook sheet.
        extensions.register_report_part(
            extensions.ReportPart(
                context_name="follow_up_items",
                section=report.section,
                save_from_post=report.save_from_post,
                save_errors=services.ResponseErrors,
                errors_for_form=report.errors_for_form,
                completeness_problems=report.completeness_problems,
                sheet=excel,
            )
        )
        # ``sixcore remind`` mails each owner its items due within 30 days or overdue.
        extensions.register_reminders(
            extensions.Reminders(
                option="no-follow-ups",
                help="Leave out the follow-up items due or overdue.",
                label="follow-up items",
                messages=notify.follow_up_messages,
            )
        )
        # NDC's attention list shows the items overdue or due soon.
        register_attention_source(AttentionSource(attention.KIND, attention.label, attention.rows))
