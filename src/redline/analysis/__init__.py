"""Analysis over stored runs: summaries and rates, comparisons, CI gates, epoch reducers,
queries-to-success.

- :func:`summarize_run` -> :class:`RunSummary` (JSON-serialisable); :class:`SummaryPass`
  is its pass, fed one attempt at a time (a scan feeds it while it sends).
- :func:`compare_runs` -> :class:`Comparison`: paired (McNemar, Newcombe) or
  unpaired (Fisher, Newcombe) differences per category, Holm-corrected.
- :func:`load_gate_policy`, :func:`evaluate_gates` -> :class:`GateReport`.
- :data:`REDUCERS`, :func:`reduce_samples`: collapse epochs per behaviour.
"""

from redline.analysis.compare import (
    Comparison,
    MetricComparison,
    compare_runs,
    paired_difference_interval,
    unpaired_difference_interval,
)
from redline.analysis.gate import (
    Gate,
    GatePolicy,
    GateReport,
    GateResult,
    evaluate_gates,
    load_gate_policy,
)
from redline.analysis.queries import QueriesToSuccess, queries_to_success
from redline.analysis.reducers import (
    REDUCERS,
    ReducerName,
    check_reducer,
    reduce_events,
    reduce_samples,
)
from redline.analysis.score_index import ScoreColumns, ScoreIndex
from redline.analysis.summary import (
    GroupSummary,
    OutcomeRate,
    RunSummary,
    SummaryPass,
    benign_type,
    summarize_run,
)
from redline.core.outcome import FULL_COMPLIANCE, FULL_REFUSAL, PARTIAL_REFUSAL

__all__ = [
    "FULL_COMPLIANCE",
    "FULL_REFUSAL",
    "PARTIAL_REFUSAL",
    "REDUCERS",
    "Comparison",
    "Gate",
    "GatePolicy",
    "GateReport",
    "GateResult",
    "GroupSummary",
    "MetricComparison",
    "OutcomeRate",
    "QueriesToSuccess",
    "ReducerName",
    "RunSummary",
    "ScoreColumns",
    "ScoreIndex",
    "SummaryPass",
    "benign_type",
    "check_reducer",
    "compare_runs",
    "evaluate_gates",
    "load_gate_policy",
    "paired_difference_interval",
    "queries_to_success",
    "reduce_events",
    "reduce_samples",
    "summarize_run",
    "unpaired_difference_interval",
]
