from rich.console import Console

from redline.analysis import summarize_run
from redline.report import print_summary


def test_print_summary_shows_categories_rates_and_errors(run_info, hand_run):
    attempts, scores = hand_run
    console = Console(record=True, width=160, color_system=None)
    print_summary(summarize_run(run_info, attempts, scores), console)
    text = console.export_text()
    assert "run 20260101-000000-abcdef" in text
    for name in ("s1", "s9", "benign", "overall"):
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
