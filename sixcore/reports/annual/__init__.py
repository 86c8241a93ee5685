"""The annual evaluation report (年度評核報告): one :class:`~.structure.AnnualReport` built from the year's
evaluations (``build.py``), rendered in the quarterly report's page frame (``layout.py`` blocks for docx
and odt, ``render.py`` for the tagged PDF, xlsx and ods)."""
