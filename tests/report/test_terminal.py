from rich.console import Console

from redline.analysis import summarize_run
from redline.report import print_summary


def test_print_summary_shows_categories_rates_and_errors(run_info, hand_run):
    attempts, scores = hand_run
    console = Console(record=True, width=160, color_system=None)
    print_summary(summarize_run(run_info, attempts, scores), console)
    text = console.export_text()
    assert "run 20260101-000000-abcdef" in text
    for name in ("S1 Violent crimes", "S9 Indiscriminate weapons", "benign", "overall"):
        assert name in text
    assert "non-refusal rate:  25.0% [4.6–69.9]" in text
    assert "non-refusal  33.3% [6.1–79.2] 1/3" in text  # s1 ASR
    assert "over  66.7% [20.8–93.9] 2/3" in text  # benign over-refusal
    assert "timeout 1" in text and "transient 1" in text
    assert "Benign prompts by type" in text and "homonym" in text
    assert "engine: requests_sent 10, retries 2, wall_s 1.50" in text
    # the overall row shows both sides of a mixed group
    overall_line = next(line for line in text.splitlines() if line.lstrip().startswith("overall"))
    assert "non-refusal  25.0%" in overall_line


def test_categories_read_as_titles_in_natural_order_on_80_columns(run_info, hand_run):
    attempts, scores = hand_run
    # s10 and s2 too, so plain string order (s1, s10, s2, s9) would show.
    extra = [
        a.model_copy(update={"id": f"{a.id}-{c}", "category": c})
        for c in ("s10", "s2")
        for a in attempts[:2]
    ]
    extra_scores = [
        s.model_copy(update={"attempt_id": f"{s.attempt_id}-{c}"})
        for c in ("s10", "s2")
        for s in scores
        if s.attempt_id in {a.id for a in attempts[:2]}
    ]
    summary = summarize_run(run_info, [*attempts, *extra], [*scores, *extra_scores])
    assert [g.name for g in summary.by_category] == ["s1", "s2", "s9", "s10", "benign"]
    for width in (80, 120):
        console = Console(record=True, width=width, color_system=None)
        print_summary(summary, console)
        lines = console.export_text().splitlines()
        assert all(len(line) <= width for line in lines)
        names = [line.split("  ")[0].strip() for line in lines if line.startswith(" S")]
        # Natural order, each name on one line: cut with an ellipsis when the
        # terminal is narrow, never continued on the next line.
        assert [n.split()[0] for n in names] == ["S1", "S2", "S9", "S10"]
        assert not any(line.strip().startswith(("crimes", "weapons", "(CBRNE)")) for line in lines)
    assert names[:2] == ["S1 Violent crimes", "S2 Non-violent crimes"]
    assert names[2].startswith("S9 Indiscriminate weapons")
