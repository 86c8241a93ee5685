"""The data files' notes made data: footnotes (with the cell they belong to) and the ``inferred``
marks of work items (docs/DATA_FORMAT.md, "Inferred values, renumbered codes, footnotes").

Called by ``datafiles.read_plan_files``; ``checker`` is its problem collector.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

FOOTNOTE_CELL = re.compile(r"^(?:kpi:\d\.\d+\.\d+:(?:full_term|11[0-3])|task:\d-\d+:\d+:target)$")


def check_footnotes(checker: Any, doc: Any) -> list[dict[str, Any]]:
    footnotes = []
    numbers: Counter[int] = Counter()
    for record in doc.get("footnotes") or []:
        number = checker.require(record, "number", int, "footnote")
        where = f"footnote {number}"
        attaches_to = checker.optional_str(record, "attaches_to", where)
        if attaches_to and not FOOTNOTE_CELL.match(attaches_to):
            checker.error(
                record,
                f"{where}: attaches_to must be kpi:CODE:full_term, kpi:CODE:YEAR or task:SCHEDULE:SEQ:target",
            )
        numbers[number] += 1
        footnotes.append(
            {
                "number": number,
                "text": checker.require(record, "text", str, where) or "",
                "attaches_to": attaches_to,
                "marker": checker.optional_str(record, "marker", where),
                "line": checker.line(record, where),
                "marker_line": record.get("marker_line"),
                "_record": record,
            }
        )
    for number, count in numbers.items():
        if count > 1:
            checker.error(doc, f"footnote {number} appears {count} times")
    return footnotes


def check_footnote_cells(checker: Any, footnotes: list[dict], industries: list[dict]) -> None:
    """A footnote's cell exists and its text ends with the marker the dropped <sup> tag left."""
    texts: dict[str, str] = {}
    for industry in industries:
        for measure in industry["measures"]:
            for kpi in measure["kpis"]:
                texts.setdefault(f"kpi:{kpi['code']}:full_term", kpi["full_term"]["text"])
                for year, cell in kpi["annual"].items():
                    texts.setdefault(f"kpi:{kpi['code']}:{year}", cell["text"])
        for schedule in industry["schedules"]:
            for task in schedule["tasks"]:
                texts[f"task:{schedule['code']}:{task['seq']}:target"] = " ".join(task["targets"])
    for note in footnotes:
        record = note.pop("_record")
        cell = note["attaches_to"]
        if not cell:
            continue
        if cell not in texts:
            checker.error(record, f"footnote {note['number']}: no cell {cell}")
        elif note["marker"] and not re.search(rf"\s{re.escape(note['marker'])}$", texts[cell]):
            checker.error(
                record, f"footnote {note['number']}: the text of {cell} does not end with its marker"
            )


_SENTENCE_END = re.compile(r"(?<=\.)\s+|(?<=。)")
_INFERRED_FIELDS = {
    "agencies": re.compile(r"agenc(?:y|ies)|\blead\b|主協辦", re.IGNORECASE),
    "period": re.compile(r"period|起訖時程", re.IGNORECASE),
}


def inferred_values(notes: str, code_in_source: bool, explicit: Any = None) -> dict[str, str]:
    """``{field: reason}`` for each value of a work item the data infers rather than reads.

    The transcriber records every inference in the notes (「agency inherited from 1.1.1 (merged
    cell)」, 「period and agency inherited from 2.1.1」); the sentence that says so is the reason.
    A code not printed in the document is inferred too.  ``explicit`` (the record's own
    ``inferred:`` mapping) adds to or replaces these.
    """
    found: dict[str, str] = {}
    for sentence in _SENTENCE_END.split(notes or ""):
        if "inherit" not in sentence.lower():
            continue
        for name, pattern in _INFERRED_FIELDS.items():
            if name not in found and pattern.search(sentence):
                found[name] = sentence.strip()
    if not code_in_source:
        found["code"] = "no code printed; made up following the table's numbering"
    if isinstance(explicit, dict):
        found.update({str(k): str(v) for k, v in explicit.items() if not str(k).startswith("__")})
    return found
