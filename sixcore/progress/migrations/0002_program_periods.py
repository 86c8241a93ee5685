"""The program's 16 reporting periods, 110Q1 … 113Q4, due the 15th of the month after each quarter."""

from django.db import migrations


def create_periods(apps, schema_editor):
    from sixcore.progress.periods import create_program_periods

    create_program_periods(apps.get_model("progress", "ReportingPeriod"))


def remove_periods(apps, schema_editor):
    apps.get_model("progress", "ReportingPeriod").objects.filter(roc_year__range=(110, 113), submissions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("progress", "0001_initial")]
    operations = [migrations.RunPython(create_periods, remove_periods)]
