"""Reading report files: the schema, field mapping, and every kind of bad record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from redline.core import ConfigError
from redline.regress import PolicyBook, ReportLimits, parse_field_map, read_reports


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return path


GOOD = {"id": "r1", "timestamp": "2025-03-01T10:00:00Z", "prompt": "hi", "policy": "s1"}


def test_good_records_and_conversation(tmp_path: Path) -> None:
    conversation = [
        {"role": "user", "content": "let's play"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "now the bad part"},
        {"role": "assistant", "content": "here it is"},
    ]
    path = write_jsonl(
        tmp_path / "r.jsonl",
        [GOOD, {**GOOD, "id": "r2", "prompt": None, "conversation": conversation,
                "severity": "HIGH", "policy": "Violent crimes"}],
    )  # fmt: skip
    batch = read_reports(path)
    assert batch.problems == []
    assert [r.id for r in batch.reports] == ["r1", "r2"]
    second = batch.reports[1]
    assert second.policy == "s1"  # a hazard title resolves to its id
    assert second.severity == "high"
    assert second.response == "here it is"
    assert second.line == 2


def test_bad_records_are_listed_with_lines_not_dropped(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "r.jsonl",
        [
            GOOD,
            {**GOOD, "id": None},
            {**GOOD, "id": "r3", "timestamp": None},
            {**GOOD, "id": "r4", "prompt": None},
            {**GOOD, "id": "r5", "policy": "violense"},
            {**GOOD, "id": "r6", "severity": "urgent"},
            "{not json",
            {**GOOD},
            [1, 2],
        ],
    )
    batch = read_reports(path)
    assert [r.id for r in batch.reports] == ["r1"]
    assert batch.records == 9
    by_line = {p.line: p for p in batch.problems}
    assert sorted(by_line) == [2, 3, 4, 5, 6, 7, 8, 9]
    assert "missing report id" in by_line[2].message
    assert by_line[3].field == "timestamp"
    assert "conversation or a prompt" in by_line[4].message
    assert "unknown policy 'violense'" in by_line[5].message
    assert "violent-crimes" in by_line[5].message  # the suggestion
    assert "urgent" in by_line[6].message
    assert "not valid JSON" in by_line[7].message
    assert "duplicate report id (first on line 1)" in by_line[8].message
    assert by_line[5].describe(str(path)).startswith(f"{path}:5: report 'r5' policy:")


def test_csv_with_mapped_columns_and_json_conversation(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    conversation = json.dumps([{"role": "user", "content": "tell me, with a comma"}])
    path.write_text(
        "ticket,when,violation,chat,sev\n"
        f'T-1,2025-01-01,s2,"{conversation.replace(chr(34), chr(34) * 2)}",low\n'
        "T-2,2025-01-02,s2,not json,low\n"
    )
    mapping = parse_field_map(
        ["id=ticket", "timestamp=when", "policy=violation", "conversation=chat", "severity=sev"]
    )
    batch = read_reports(path, field_map=mapping)
    assert [r.id for r in batch.reports] == ["T-1"]
    assert batch.reports[0].messages[0].content == "tell me, with a comma"
    assert batch.problems[0].line == 3
    assert "not a JSON list" in batch.problems[0].message


def test_nested_json_columns(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "r.jsonl",
        [
            {
                "meta": {"ticket": "X"},
                "timestamp": "2025-01-01",
                "body": {"text": "q"},
                "policy": "s9",
            }
        ],
    )
    batch = read_reports(path, field_map={"id": "meta.ticket", "prompt": "body.text"})
    assert batch.reports[0].id == "X"


def test_bad_map_flags() -> None:
    with pytest.raises(ConfigError, match="expected FIELD=COLUMN"):
        parse_field_map(["id"])
    with pytest.raises(ConfigError, match="unknown report field 'ident'"):
        parse_field_map(["ident=x"])


def test_cp1252_is_detected_decoded_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    line1 = json.dumps(GOOD).encode()
    line2 = json.dumps(
        {**GOOD, "id": "r2", "prompt": "caf\u00e9 \u2019quote\u2019"}, ensure_ascii=False
    )
    path.write_bytes(line1 + b"\n" + line2.encode("cp1252") + b"\n")
    batch = read_reports(path)
    assert batch.encoding == "cp1252"
    assert "line 2" in (batch.encoding_note or "")
    assert batch.reports[1].messages[0].content == "caf\u00e9 \u2019quote\u2019"
    with pytest.raises(ConfigError, match=r"r\.jsonl:2:\d+: byte 0x\w\w is not valid utf-8"):
        read_reports(path, encoding="utf-8")


def test_utf16_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes("id,timestamp,prompt,policy\nr1,2025-01-01,h\u00e9llo,s1\n".encode("utf-16"))
    batch = read_reports(path)
    assert batch.encoding == "utf-16"
    assert batch.encoding_note is None
    assert batch.reports[0].messages[0].content == "h\u00e9llo"


def test_huge_conversations_are_rejected_with_the_limit(tmp_path: Path) -> None:
    many = [{"role": "user", "content": "x"}] * 30
    path = write_jsonl(
        tmp_path / "r.jsonl",
        [{**GOOD, "prompt": "y" * 5000}, {**GOOD, "id": "r2", "conversation": many}],
    )
    batch = read_reports(path, limits=ReportLimits(max_chars=1000, max_turns=20))
    assert batch.reports == []
    assert "5,000 characters is over the limit of 1,000" in batch.problems[0].message
    assert "30 messages is over the limit of 20" in batch.problems[1].message


def test_policy_file_adds_names(tmp_path: Path) -> None:
    file = tmp_path / "policies.yaml"
    file.write_text("policies:\n  fraud-assist: {expected: refuse, category: s2}\n")
    book = PolicyBook.default().with_file(file)
    assert book.rule("Fraud-Assist").category == "s2"
    file.write_text("policies:\n  ok: {}\n  bad: {expected: maybe}\n")
    with pytest.raises(ConfigError, match=r"policies\.yaml:3: policies\.bad\.expected"):
        PolicyBook.default().with_file(file)


def test_unknown_file_type(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown report file type"):
        read_reports(tmp_path / "r.xlsx")
    with pytest.raises(ConfigError, match="not found"):
        read_reports(tmp_path / "missing.jsonl")
