"""``redline ui``: a local web dashboard over a runs directory.

- :func:`create_app` builds the FastAPI app from :class:`UiSettings`.
- :class:`IndexCache` / :class:`RunIndex`: the per-run DuckDB index that makes a
  100,000-attempt run page fast (built once per run, rebuilt when it changes).
- :class:`RunCatalog`: the runs as listed, unreadable directories included.
"""

from redline.ui.app import UiSettings, create_app
from redline.ui.catalog import RunCatalog, RunEntry
from redline.ui.run_index import IndexCache, RunIndex, TranscriptQuery, build_index

__all__ = [
    "IndexCache",
    "RunCatalog",
    "RunEntry",
    "RunIndex",
    "TranscriptQuery",
    "UiSettings",
    "build_index",
    "create_app",
]
