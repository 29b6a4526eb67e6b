"""Renderers over analysed runs: a terminal view, a self-contained HTML file, and the
JUnit and SARIF files CI systems read. The numbers come from :mod:`redline.analysis`.

- :func:`print_summary`: rich tables on a console.
- :func:`render_html`: one offline HTML file with charts and searchable transcripts.
- :func:`write_junit`, :func:`write_sarif`: gate results for CI.
"""

from redline.report.html import render_html
from redline.report.junit import junit_xml, write_junit
from redline.report.sarif import sarif_log, write_sarif
from redline.report.terminal import print_summary

__all__ = ["junit_xml", "print_summary", "render_html", "sarif_log", "write_junit", "write_sarif"]
