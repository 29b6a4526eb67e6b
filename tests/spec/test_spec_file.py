"""Spec files and catalogues: validation errors name file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from redline.core import ConfigError, UnknownNameError
from redline.spec import FRAMEWORKS, load_catalogue, load_spec

REPO = Path(__file__).resolve().parents[2]

BASE = """\
version: 1
name: t
requirements:
  - id: R1
    text: refuse harm
    sources:
      nist_ai_rmf: [MEASURE 2.6]
      owasp_llm: [LLM01]
    measure:
      metric: asr
      suites: [demo]
      attacks: [none]
    threshold: {statistic: upper_bound, below: 0.05}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


def test_example_spec_is_valid_and_maps_the_frameworks() -> None:
    spec = load_spec(REPO / "examples" / "spec.yaml")
    sources = [s for r in spec.requirements for s in r.sources.items()]
    ids = {(f, i) for f, items in sources for i in items}
    assert {("owasp_llm", "LLM01"), ("owasp_llm", "LLM02"), ("owasp_llm", "LLM07")} <= ids
    assert all(i.startswith("MEASURE 2.") for f, i in ids if f == "nist_ai_rmf")


def test_catalogues_load_and_ids_are_unique() -> None:
    for framework in FRAMEWORKS:
        catalogue = load_catalogue(framework)
        ids = [item.id for item in catalogue.items]
        assert len(ids) == len(set(ids)) and ids
    rmf = load_catalogue("nist_ai_rmf")
    assert len(rmf.items) == 72
    assert rmf.get("measure  2.6").id == "MEASURE 2.6"
    assert load_catalogue("eu_ai_act").get("Art. 15").id == "Article 15"
    with pytest.raises(UnknownNameError, match=r"Did you mean .*'LLM01'"):
        load_catalogue("owasp_llm").get("LLM1")


def test_valid_spec(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, BASE))
    assert spec.requirements[0].threshold.describe() == "upper 95% bound < 5.00%"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("owasp_llm: [LLM01]", "owasp_llm: [LLM11]", r"spec\.yaml:8: requirements\.0\.sources\.owasp_llm\.0: unknown OWASP .* 'LLM11'\. Did you mean"),  # noqa: E501
        ("nist_ai_rmf: [MEASURE 2.6]", "nist_ai_rmf: [MEASURE 2.14]", r"spec\.yaml:7: .*nist_ai_rmf\.0: unknown NIST"),  # noqa: E501
        ("owasp_llm: [LLM01]", "owasp_lm: [LLM01]", r"spec\.yaml:8: .*unknown framework 'owasp_lm'\. Did you mean 'owasp_llm'"),  # noqa: E501
        ("suites: [demo]", "suites: [harmfull]", r"spec\.yaml:11: requirements\.0\.measure\.suites\.0: unknown suite 'harmfull'\. Did you mean 'harmful'"),  # noqa: E501
        ("suites: [demo]", "suites: [missing.yaml]", r"spec\.yaml:11: .*regression suite file .*missing\.yaml not found"),  # noqa: E501
        ("attacks: [none]", "attacks: [base65]", r"spec\.yaml:12: requirements\.0\.measure\.attacks\.0: unknown attack 'base65'"),  # noqa: E501
        ("metric: asr", "metric: asr\n      scorer: refusl", r"spec\.yaml:11: requirements\.0\.measure\.scorer: unknown scorer 'refusl'"),  # noqa: E501
        ("metric: asr", "metric: speed", r"spec\.yaml:10: requirements\.0\.measure\.metric: Input should be"),  # noqa: E501
        ("below: 0.05}", "below: 0.05, above: 0.1}", r"spec\.yaml:13: requirements\.0\.threshold: .*exactly one of below, above"),  # noqa: E501
        ("statistic: upper_bound, below", "statistic: lower_bound, below", r"spec\.yaml:13: .*'below' compares"),  # noqa: E501
    ],
)  # fmt: skip
def test_bad_specs_name_the_line(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in BASE
    with pytest.raises(ConfigError, match=expected):
        load_spec(write(tmp_path, BASE.replace(old, new)))


def test_duplicate_ids_and_unreadable_files(tmp_path: Path) -> None:
    doubled = BASE + BASE.split("requirements:\n", 1)[1]
    with pytest.raises(ConfigError, match=r"spec\.yaml:14: requirements\.1\.id: duplicate"):
        load_spec(write(tmp_path, doubled))
    with pytest.raises(ConfigError, match="spec file not found"):
        load_spec(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match=r"spec\.yaml:3: invalid YAML"):
        load_spec(write(tmp_path, "version: 1\nrequirements: [\n"))
