"""Bring runs from other tools into redline: garak reports, promptfoo results, Inspect logs.

Each importer reads the tool's own output file and yields
:class:`~redline.importers.imported_run.ImportedAttempt` records; the tool's
verdicts become scorers on the imported run (``garak:<detector>``,
``promptfoo``, ``inspect:<scorer>``), so the run can be re-scored with
redline's scorers, compared with other runs and reported like a scan.
See docs/importers.md.
"""

from redline.importers.imported_run import (
    ImportedAttempt,
    ImportedSource,
    ImportedVerdict,
    ImportFormatError,
    ImportResult,
    write_imported_run,
)
from redline.importers.tools import READERS, import_run

__all__ = [
    "READERS",
    "ImportFormatError",
    "ImportResult",
    "ImportedAttempt",
    "ImportedSource",
    "ImportedVerdict",
    "import_run",
    "write_imported_run",
]
