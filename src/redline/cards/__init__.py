"""Model and system cards built from runs, their governance crosswalk, and
coordinated-disclosure reports for single findings.

- :func:`build_card` -> :class:`Card`: Mitchell et al.'s model-card sections or
  a system card's safety sections; every figure names its run, metric, scorer
  and the scorer's measured agreement; narrative comes from a facts file.
- :func:`render_card`: Markdown, HTML, PDF (headless Chromium) or JSON.
- :func:`build_crosswalk`: NIST AI RMF 1.0, NIST AI 600-1 and EU AI Act items,
  each evidenced, partial or missing.
"""

from redline.cards.card import Card, CardInputs, build_card
from redline.cards.crosswalk import CrosswalkItem, EvidenceSet, build_crosswalk
from redline.cards.disclosure import (
    DisclosureReport,
    avid_report,
    build_disclosure,
    render_disclosure_markdown,
)
from redline.cards.external_results import read_ablation, read_guard_eval
from redline.cards.figures import Figure, RunEvidence
from redline.cards.inputs import gather_inputs, read_runs
from redline.cards.layout import load_facts
from redline.cards.markdown import render_markdown
from redline.cards.render import render_card, render_html

__all__ = [
    "Card",
    "CardInputs",
    "CrosswalkItem",
    "DisclosureReport",
    "EvidenceSet",
    "Figure",
    "RunEvidence",
    "avid_report",
    "build_card",
    "build_crosswalk",
    "build_disclosure",
    "gather_inputs",
    "load_facts",
    "read_ablation",
    "read_guard_eval",
    "read_runs",
    "render_card",
    "render_disclosure_markdown",
    "render_html",
    "render_markdown",
]
