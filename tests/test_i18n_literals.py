"""Texts that leave the site (the Excel workbook, reminder mail) are in the site's language (LANGUAGE_CODE),
whatever the language active where they are made: the workbook's words are what its import matches, and
the agencies read zh-TW mail even when an administrator runs the command in English."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import translation
from openpyxl import load_workbook

from sixcore.accounts.models import Agency
from sixcore.progress import excel
from tests.factories import UserFactory, editor, open_period


@pytest.fixture
def period(db, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")
    return open_period("111Q2")


def test_the_workbook_is_written_and_read_in_the_site_language(period):
    user, moea = editor("moea"), Agency.objects.get(code="moea")
    with translation.override("en"):
        data = excel.build_workbook(period, moea, user)
        result = excel.import_workbook(data, user)
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames[:5] == ["說明", "辦理情形", "績效指標", "重點工作", "經費"]
    assert [c.value for c in workbook["重點工作"][2]][:3] == ["產業", "工作代碼", "重點工作項目"]
    assert result.ok, [p.as_dict() for p in result.problems]
    assert any("進度落後" in str(v.formula1) for v in workbook["重點工作"].data_validations.dataValidation)


def test_reminder_mail_is_in_the_site_language(period, mailoutbox):
    UserFactory(username="moea_officer", role="agency_editor", agency="moea", email="officer@moea.gov.tw")
    with translation.override("en"):
        call_command("remind", "--period", "111Q2")
    mail = next(m for m in mailoutbox if "officer@moea.gov.tw" in m.to)
    assert mail.subject.startswith("【提醒】")
    assert mail.body.startswith("經濟部 您好") and mail.body.endswith("國家發展委員會")
