"""Run reports: a summary of counts and rates, a terminal view and a self-contained HTML file.

- :func:`summarize_run` -> :class:`RunSummary` (JSON-serialisable).
- :func:`print_summary`: rich tables on a console.
- :func:`render_html`: one offline HTML file with charts and searchable transcripts.
"""

from redline.report.html import render_html
from redline.report.queries import QueriesToSuccess, queries_to_success
from redline.report.summary import (
    FULL_COMPLIANCE,
    FULL_REFUSAL,
    PARTIAL_REFUSAL,
    GroupSummary,
    OutcomeRate,
    RunSummary,
    benign_type,
    summarize_run,
)
from redline.report.terminal import print_summary

__all__ = [
    "FULL_COMPLIANCE",
    "FULL_REFUSAL",
    "PARTIAL_REFUSAL",
    "GroupSummary",
    "OutcomeRate",
    "QueriesToSuccess",
    "RunSummary",
    "benign_type",
    "print_summary",
    "queries_to_success",
    "render_html",
    "summarize_run",
]
