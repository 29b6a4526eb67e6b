"""Writing a card: Markdown, HTML, JSON, or PDF printed by headless Chromium.

The PDF is the HTML card printed by a real browser (Playwright driving the
system's Chromium, or Playwright's own when there is none), so what a reader
prints from the HTML and the PDF agree.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import jinja2

from redline.cards.card import Card
from redline.cards.markdown import render_markdown
from redline.core import ConfigError, RedlineError

FORMATS = {
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".json": "json",
}
CHROMIUM_ENV = "REDLINE_CHROMIUM"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("redline.cards", "templates"),
    autoescape=True,  # run configs and responses are untrusted text
    trim_blocks=True,
    lstrip_blocks=True,
)


def output_format(path: Path) -> str:
    """md, html, pdf or json, from ``path``'s suffix; anything else is a usage error."""
    found = FORMATS.get(path.suffix.lower())
    if found is None:
        raise ConfigError(
            f"--output {path}: unknown format {path.suffix or '(no suffix)'}; "
            "use .md, .html, .pdf or .json"
        )
    return found


def render_html(card: Card) -> str:
    """The card as one self-contained HTML page."""
    return _TEMPLATES.get_template("card.html.j2").render(card=card)


def chromium_executable() -> str | None:
    """The Chromium to print with: ``$REDLINE_CHROMIUM``, else one on PATH, else
    None (Playwright's own browser, if installed)."""
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        return configured
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdf(html: str, path: Path) -> None:
    """Print ``html`` to an A4 PDF at ``path`` with headless Chromium."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ModuleNotFoundError:  # an optional dependency: only PDF output needs it
        raise RedlineError(
            "PDF output needs Playwright: pip install 'redline[pdf]' (and a Chromium: "
            f"apt-get install chromium, or set ${CHROMIUM_ENV})"
        ) from None
    with tempfile.TemporaryDirectory(prefix="redline-card-") as folder:
        page_file = Path(folder) / "card.html"
        page_file.write_text(html, encoding="utf-8")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=chromium_executable(), args=CHROMIUM_ARGS
                )
                try:
                    page = browser.new_page()
                    page.goto(page_file.as_uri(), wait_until="load")
                    page.pdf(path=str(path), format="A4", print_background=True)
                finally:
                    browser.close()
        except Error as exc:
            first = str(exc).strip().splitlines()[0]
            raise RedlineError(
                f"could not print the PDF with Chromium ({first}); install chromium or set "
                f"${CHROMIUM_ENV} to its path"
            ) from None


def render_card(card: Card, path: Path) -> Path:
    """Write ``card`` to ``path`` in the format its suffix names; returns ``path``."""
    kind = output_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "md":
        path.write_text(render_markdown(card), encoding="utf-8")
    elif kind == "html":
        path.write_text(render_html(card), encoding="utf-8")
    elif kind == "json":
        path.write_text(card.model_dump_json(indent=2) + "\n", encoding="utf-8")
    else:
        print_pdf(render_html(card), path)
    return path
