"""``sixcore plan load``: idempotent, transactional, precise errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from sixcore.plan import models as plan
from sixcore.plan.datafiles import DATA_DIR, DataError, read_plan_files
from sixcore.plan.loader import load_program


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _snapshot() -> dict[str, list]:
    return {
        "kpis": list(plan.KPI.objects.order_by("pk").values_list("pk", "code", "full_term_text")),
        "items": list(
            plan.WorkItem.objects.order_by("pk").values_list("pk", "code", "title", "start", "end")
        ),
        "annual": list(plan.AnnualTarget.objects.order_by("pk").values_list("pk", "cell__text", "target")),
        "budget": list(plan.BudgetLine.objects.order_by("pk").values_list("pk", "amount")),
        "links": list(
            plan.WorkItemAgency.objects.order_by("work_item", "role", "order").values_list(
                "work_item", "agency", "role"
            )
        ),
    }


def test_reload_is_idempotent_and_keeps_primary_keys(program):
    before = _snapshot()
    _, stats = load_program(force=True)
    assert stats.changes == 0
    assert _snapshot() == before


def test_unchanged_files_are_not_reloaded(program):
    _, stats = load_program()
    assert stats.unchanged


def test_changed_text_updates_in_place(program, data_copy):
    path = data_copy / "kpis_1.yaml"
    text = path.read_text(encoding="utf-8")
    assert "113 年中小企業 5G 創新應用 35 項" in text
    path.write_text(
        text.replace("113 年中小企業 5G 創新應用 35 項", "113 年中小企業 5G 創新應用 36 項"), encoding="utf-8"
    )
    kpi = plan.KPI.objects.get(code="1.7.3")
    _, stats = load_program(read_plan_files(data_copy))
    assert stats.updated["kpi"] == 1
    kpi_after = plan.KPI.objects.get(code="1.7.3")
    assert kpi_after.pk == kpi.pk
    assert kpi_after.full_term_text.endswith("36 項") and kpi_after.full_term_target["value"] == 36


def test_malformed_data_reports_file_line_and_writes_nothing(program, data_copy):
    path = data_copy / "kpis_2.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    # Break a measure code and drop a KPI's full-term target.
    broken = [line.replace('code: "2.2"', 'code: "X.2"', 1) for line in lines]
    index = next(n for n, line in enumerate(broken) if "full_term:" in line)
    del broken[index]
    path.write_text("\n".join(broken) + "\n", encoding="utf-8")
    before = _snapshot()
    with pytest.raises(DataError) as excinfo:
        read_plan_files(data_copy)
    messages = [str(p) for p in excinfo.value.problems]
    assert any("kpis_2.yaml:" in m and "missing field 'full_term'" in m for m in messages), messages
    assert any("canonical code must look like 2.M" in m for m in messages), messages
    assert all(p.line for p in excinfo.value.problems if "full_term" in p.message)
    assert _snapshot() == before


def test_invalid_yaml_is_located(data_copy):
    (data_copy / "schedules_3.yaml").write_text(
        "industry: '3'\nschedules: [\n  - {code: \n", encoding="utf-8"
    )
    with pytest.raises(DataError) as excinfo:
        read_plan_files(data_copy)
    assert "schedules_3.yaml" in str(excinfo.value) and "not valid YAML" in str(excinfo.value)


def test_schedule_links_must_agree(data_copy):
    path = data_copy / "kpis_6.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('schedule: "6-5"', 'schedule: "6-2"', 1), encoding="utf-8")
    with pytest.raises(DataError, match="names schedule 6-2"):
        read_plan_files(data_copy)


def test_failure_inside_the_write_rolls_back(program, monkeypatch):
    """An error half-way through writing leaves the database exactly as it was (one transaction)."""
    before = _snapshot()
    from sixcore.plan.loader.program import ProgramWriter

    def explode(self, *args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ProgramWriter, "_write_budget", explode)
    plan.KPI.objects.filter(code="1.1.1").update(full_term_text="changed before the load")
    with pytest.raises(RuntimeError):
        load_program(force=True)
    after = _snapshot()
    assert after["items"] == before["items"] and after["budget"] == before["budget"]
    assert plan.KPI.objects.get(code="1.1.1").full_term_text == "changed before the load"


def test_command_exit_status_and_message(program, data_copy, monkeypatch, capsys):
    (data_copy / "program.yaml").write_text(
        (data_copy / "program.yaml").read_text(encoding="utf-8").replace('"93.45"', '"9x.45"'),
        encoding="utf-8",
    )
    monkeypatch.setattr("sixcore.plan.datafiles.DATA_DIR", data_copy)
    monkeypatch.setattr(
        "sixcore.plan.management.commands.plan.read_plan_files", lambda: read_plan_files(data_copy)
    )
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("plan", "load")
    err = capsys.readouterr().err
    assert "program.yaml:" in err and "year 110 must be a number" in err


def test_command_reports_unchanged(program, capsys):
    call_command("plan", "load")
    assert "unchanged" in capsys.readouterr().out
