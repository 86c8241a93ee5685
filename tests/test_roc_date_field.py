"""Dates people type are ROC dates (issue #17: "typing 112/7/15 works; the picker shows ROC"): every
form field for a date is ``core.dates.RocDateField``, and no page offers the browser's mm/dd/yyyy
picker."""

from datetime import date
from pathlib import Path

import pytest
from django import forms

from sixcore.core.dates import RocDateField, RocDateInput

ROOT = Path(__file__).resolve().parent.parent / "sixcore"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("112/7/15", date(2023, 7, 15)), (" 112 / 7 / 5 ", date(2023, 7, 5)), ("2023-07-15", date(2023, 7, 15))],
)
def test_a_typed_roc_or_iso_date_is_read(typed, expected):
    assert RocDateField().clean(typed) == expected


@pytest.mark.parametrize("typed", ["112/7", "abc", "112/13/1", "112/2/30", "0008-10-03", "300/1/1"])
def test_anything_else_is_refused_with_the_example(typed):
    with pytest.raises(forms.ValidationError):
        RocDateField().clean(typed)


def test_a_date_is_shown_back_as_people_write_it():
    html = RocDateInput().render("due", date(2024, 12, 31))
    assert 'value="113/12/31"' in html and 'type="text"' in html and 'placeholder="112/7/15"' in html


def test_no_page_offers_the_browser_date_picker():
    offenders = [
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*")
        # A template's <input type="date">, or a form widget's {"type": "date"} (a spreadsheet's date
        # validation or an ODF cell's value type is not a picker).
        if (path.suffix == ".html" and '<input type="date"' in path.read_text(encoding="utf-8"))
        or (path.suffix == ".py" and '"type": "date"' in path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
