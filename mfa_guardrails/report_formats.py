"""The organization readiness report's formats, for the command line: the one implementation
lives in the runtime code the scheduled run in AWS packages too
(``constructs_lib/detective/runtime/org_report.py``), so both render the same files."""

from constructs_lib.detective.runtime.org_report import (
    CHECK_TITLES,
    CSV_COLUMNS,
    NOTES,
    SECURITY_HUB_CONTROLS,
    blockers_first,
    blocks_enforcement,
    finding_id,
    terminal_summary,
    to_csv,
    to_html,
    to_json,
    to_sarif,
    totals,
)

__all__ = [
    "CHECK_TITLES",
    "CSV_COLUMNS",
    "NOTES",
    "SECURITY_HUB_CONTROLS",
    "blockers_first",
    "blocks_enforcement",
    "finding_id",
    "terminal_summary",
    "to_csv",
    "to_html",
    "to_json",
    "to_sarif",
    "totals",
]
