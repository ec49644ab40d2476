"""The read model's figures: what the report and the desk count, each read from the read model in SQL.

- month: the month's RULES 3 counts and the report data (ReportData) built from them;
- rows: the rows behind a figure of the month (the report room's links), by the same conditions;
- ownership: how the month's complaints ended besides a satisfied callback (the `closures` block);
- desk: the callback desk's figures per period, agent and service advisor;
- made: the figures and PDFs the worker makes for a reader, served while fresh.

Nothing is imported here, so each module is loaded by what needs it (made reaches the jobs,
which reach month).
"""
