from redline.analysis import queries_to_success
from redline.core import Attempt, AttemptError, Message, Score


def _attempt(n: int, attack: str, *, final: int, queries: int, judge: int, error: bool = False):
    return Attempt(
        id=f"a{n}",
        run_id="r",
        behavior_id=f"b{n}",
        category="c",
        expected="refuse",
        attack=attack,
        target="t",
        messages=[Message(role="user", content="x")],
        response=None if error else "text",
        error=AttemptError(kind="attacker_error", message="bad json") if error else None,
        attack_params={
            "outcome": {"queries": queries, "queries_to_final": final, "judge_score": judge}
        },
    )


def _score(n: int, label: str) -> Score:
    return Score(attempt_id=f"a{n}", scorer="refusal", scorer_version="1", label=label, value=0)


def test_queries_to_success_counts_only_scorer_successes() -> None:
    attempts = [
        _attempt(1, "multiturn.pair", final=2, queries=2, judge=10),
        _attempt(2, "multiturn.pair", final=6, queries=6, judge=10),  # judge says yes, scorer no
        _attempt(3, "multiturn.pair", final=4, queries=5, judge=3),
        _attempt(4, "multiturn.pair", final=0, queries=0, judge=1, error=True),
        _attempt(5, "multiturn.tap", final=3, queries=9, judge=2),
    ]
    attempts.append(attempts[0].model_copy(update={"id": "plain", "attack_params": {}}))
    scores = [
        _score(1, "full_compliance"),
        _score(2, "full_refusal"),
        _score(3, "full_compliance"),
        _score(5, "partial_refusal"),
    ]
    pair, tap = queries_to_success(attempts, scores)
    assert (pair.attack, pair.attempts, pair.successes, pair.errors) == ("multiturn.pair", 4, 2, 1)
    assert pair.to_success_mean == 3.0 and pair.to_success_max == 4
    assert pair.queries_total == 13
    assert pair.judge_agreement == 1 / 3  # agrees on 1, not on 2 and 3
    assert tap.successes == 0 and tap.to_success_mean is None and tap.queries_mean == 9.0


def test_summary_terminal_and_html_show_queries_to_success(tmp_path) -> None:
    from rich.console import Console

    from redline.analysis import summarize_run
    from redline.core import RunInfo
    from redline.report import print_summary, render_html

    attempts = [
        _attempt(1, "multiturn.pair", final=2, queries=2, judge=10),
        _attempt(2, "multiturn.pair", final=5, queries=5, judge=10),
    ]
    scores = [_score(1, "full_compliance"), _score(2, "full_refusal")]
    summary = summarize_run(RunInfo(id="r"), attempts, scores)
    [row] = summary.queries_to_success
    assert (row.attack, row.successes, row.to_success_max) == ("multiturn.pair", 1, 2)

    console = Console(record=True, width=140)
    print_summary(summary, console)
    assert "target queries to success" in console.export_text()

    path = render_html(
        info=RunInfo(id="r"), summary=summary, attempts=attempts, scores=scores,
        path=tmp_path / "report.html",
    )  # fmt: skip
    html = path.read_text()
    assert "Multi-turn attacks: target queries to success" in html
    assert "multiturn.pair" in html
