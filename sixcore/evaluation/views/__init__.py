"""Dashboards of the evaluation: program, industry, measure, agency, KPI, work-item timeline, and
NDC's "needs attention" list.  Thin: they read the stored evaluation within the caller's scope
(``read.evaluation_for``; anonymous → approved data only), in a fixed number of queries.

By page: ``dashboards`` (program, industry, measure, agency: one template), ``details`` (a KPI over the
quarters, a measure's work-item timeline), ``attention`` (NDC's list) and ``common`` (the period asked
for, the evaluation read for it, what every page shows around its figures). ``urls.py`` names the views
in their modules.
"""
