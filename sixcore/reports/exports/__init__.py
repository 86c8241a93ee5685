"""Open-data exports: the program, the submissions and the evaluation as tables.

A dataset is a list of :class:`Table` (name, description, columns with descriptions, rows). It is
written as CSV (UTF-8 with BOM, one file per table plus ``data_dictionary.csv``, in a zip), as XLSX
(one sheet per table plus a 資料說明 sheet) or as JSON (``{"dictionary": …, "tables": {name: [row…]}}``).
CSV and XLSX cells are neutralised against formula injection (``evaluation.export.neutralise`
A package by step: ``tables`` (``Table``), one module per dataset (``plan``, ``submissions``,
``evaluation``: the only ones that read the database) and ``writers`` (the formats, pure). The names the
views, the ``export`` command, tests and bench/ use are re-exported here (``exports.plan_tables(…)``).
"""

from __future__ import annotations

from .evaluation import evaluation_tables
from .plan import plan_tables
from .submissions import submission_tables
from .tables import Table
from .writers import (
    CONTENT_TYPES,
    FORMATS,
    dictionary,
    render_dataset,
    table_csv,
    to_csv_zip,
    to_json,
    to_ods,
    to_xlsx,
)

__all__ = [
    "CONTENT_TYPES",
    "DATASETS",
    "dictionary",
    "evaluation_tables",
    "FORMATS",
    "plan_tables",
    "render_dataset",
    "submission_tables",
    "Table",
    "table_csv",
    "to_csv_zip",
    "to_json",
    "to_ods",
    "to_xlsx",
]

DATASETS = ("plan", "submissions", "evaluation")
