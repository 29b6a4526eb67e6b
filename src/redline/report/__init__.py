"""Renderers over analysed runs: a terminal view, a self-contained HTML file, and the
JUnit and SARIF files CI systems read. The numbers come from :mod:`redline.analysis`.

- :func:`print_summary`: rich tables on a console.
- :func:`render_html`: one offline HTML file with charts and searchable transcripts.
- :func:`write_junit`, :func:`write_sarif`: gate results for CI.

The names load on first use (PEP 562): a scan names the report's defaults
(``redline.report.transcript_limit``) before its first request without importing
the renderers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from redline.core.lazy_names import lazy_getattr

if TYPE_CHECKING:
    from redline.report.html import TranscriptCollector, TranscriptSampler, render_html
    from redline.report.junit import junit_xml, write_junit
    from redline.report.sarif import sarif_log, write_sarif
    from redline.report.terminal import print_summary

_HOMES = {
    "render_html": "redline.report.html",
    "TranscriptCollector": "redline.report.html",
    "TranscriptSampler": "redline.report.html",
    "junit_xml": "redline.report.junit",
    "write_junit": "redline.report.junit",
    "sarif_log": "redline.report.sarif",
    "write_sarif": "redline.report.sarif",
    "print_summary": "redline.report.terminal",
}

__getattr__ = lazy_getattr("redline.report", _HOMES, globals())

__all__ = [
    "TranscriptCollector",
    "TranscriptSampler",
    "junit_xml",
    "print_summary",
    "render_html",
    "sarif_log",
    "write_junit",
    "write_sarif",
]
