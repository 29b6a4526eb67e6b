"""Human annotation of runs: queues, labels from several annotators, agreement,
adjudication, and exports.

- Build a queue: :func:`stratified_queue` (a sample stratified by a scorer's
  label), :func:`disagreement_queue` (attempts whose scorers disagree),
  :func:`pairwise_queue` (two runs' answers to the same prompts).
- Store it and its labels: :class:`AnnotationStore` (``RUNS_DIR/.annotations``).
- Measure agreement: :func:`queue_agreement` (Cohen's and Fleiss' kappa,
  Krippendorff's alpha; each annotator against the scorer).
- Export: :func:`calibration_rows` (``redline judge calibrate --labels``),
  :func:`preference_rows` (TRL ``prompt``/``chosen``/``rejected``).

The web pages for labelling are in :mod:`redline.ui`; the commands in
``redline annotate``.
"""

from redline.annotation.agreement import PairAgreement, QueueAgreement, queue_agreement
from redline.annotation.disagreement import labels_by_attempt, scorers_disagree
from redline.annotation.exports import (
    FinalLabel,
    Resolution,
    calibration_rows,
    export_rows,
    final_labels,
    preference_rows,
    to_jsonl,
    write_jsonl,
)
from redline.annotation.queue import (
    Queue,
    QueueItem,
    Side,
    disagreement_queue,
    pairwise_queue,
    stratified_queue,
)
from redline.annotation.storage import (
    Adjudication,
    AnnotationStore,
    LabelRecord,
    QueueFiles,
    check_annotator,
)
from redline.annotation.tasks import Task, TaskLabel, get_task, tasks

__all__ = [
    "Adjudication",
    "AnnotationStore",
    "FinalLabel",
    "LabelRecord",
    "PairAgreement",
    "Queue",
    "QueueAgreement",
    "QueueFiles",
    "QueueItem",
    "Resolution",
    "Side",
    "Task",
    "TaskLabel",
    "calibration_rows",
    "check_annotator",
    "disagreement_queue",
    "export_rows",
    "final_labels",
    "get_task",
    "labels_by_attempt",
    "pairwise_queue",
    "preference_rows",
    "queue_agreement",
    "scorers_disagree",
    "stratified_queue",
    "tasks",
    "to_jsonl",
    "write_jsonl",
]
