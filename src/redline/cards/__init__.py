"""Model and system cards built from runs, their governance crosswalk, and
coordinated-disclosure reports for single findings.

- :func:`build_card` -> :class:`Card`: Mitchell et al.'s model-card sections or
  a system card's safety sections; every figure names its run, metric, scorer
  and the scorer's measured agreement; narrative comes from a facts file.
- :func:`render_card`: Markdown, HTML, PDF (headless Chromium) or JSON.
- :func:`build_crosswalk`: NIST AI RMF 1.0, NIST AI 600-1 and EU AI Act items,
  each evidenced, partial or missing.
"""
