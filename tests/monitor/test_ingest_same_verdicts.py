"""Ingest's batched reading and refusal labels give what the per-line, per-text path
gives: the same scored columns, audit rows and problems, on a log built from the
public data sets (with blank, malformed and non-object lines mixed in)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from redline.detectors.refusal import may_hold_refusal, normalise_apostrophes, refusal_candidates
from redline.monitor import IngestSettings, MonitorStore, RecordScorer, ingest_file
from redline.monitor.ingest import LogIngest
from redline.monitor.log_records import (
    FieldMap,
    MalformedRecord,
    RecordBatch,
    chat_record,
    decode_json_line,
)
from redline.monitor.record_scoring import NO_RESPONSE
from redline.monitor.simulation import public_stream_texts
from redline.monitor.store import ScoredBatch
from redline.scoring.refusal import classify_refusal, refusal_labels

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
# Responses that take every branch of the refusal label: none, stock refusals in
# both apostrophes and cases, a refusal after substantive text, the non-ASCII
# letters the keyword fold maps, and blank ones.
RESPONSES = (
    "Sure, here is a short answer to that.",
    "I'm sorry, but I can't help with that request.",
    "I\u2019M SORRY, BUT I CAN\u2019T HELP WITH THAT.",
    "Here are three ideas: start small, measure, and iterate. " * 12 + "I cannot say more.",
    "\u0130 w\u0130ll not do that; \u017forry.",
    "   ",
    "",
    "As an AI, I must decline.",
)


def _log_lines(texts: list[str]) -> list[str]:
    lines = []
    for index, prompt in enumerate(texts):
        response = f"{RESPONSES[index % len(RESPONSES)]} (#{index})"
        if index % len(RESPONSES) in (5, 6):
            response = RESPONSES[index % len(RESPONSES)]  # blank: no_response
        record = {"id": f"r{index}", "timestamp": 1767225600 + index, "response": response}
        record["prompt" if index % 3 else "messages"] = (
            prompt if index % 3 else [{"role": "user", "content": prompt}]
        )
        lines.append(json.dumps(record))
        if index % 97 == 5:
            lines.append("{not json")
        if index % 131 == 7:
            lines.append("   ")
        if index % 151 == 9:
            lines.append("[1, 2]")
    return lines


def _reference(lines: list[str], scorer: RecordScorer) -> tuple[ScoredBatch, list]:
    """The per-line path: each line parsed alone, each response labelled alone."""
    records, problems = [], []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            data = decode_json_line(text.encode("utf-8"))
            if not isinstance(data, dict):
                raise MalformedRecord(f"expected a JSON object, got {type(data).__name__}")
            records.append(chat_record(data, line=number, fields=FieldMap({})))
        except MalformedRecord as exc:
            problems.append((number, str(exc)))
    scored, _ = scorer.score_columns(RecordBatch.of_records(records), source="s", embedder=None)
    scored.refusals = [
        classify_refusal(r)[0] if r.strip() else NO_RESPONSE for r in scored.responses
    ]
    return scored, problems


@pytest.mark.skipif(not DATA.is_dir(), reason="needs ../shared/data")
def test_ingest_stores_the_per_line_paths_columns(tmp_path, monkeypatch):
    texts = public_stream_texts(DATA)
    prompts = (texts.benign[:700] + texts.attacks[:500])[::-1]
    lines = _log_lines(prompts)
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def scorer() -> RecordScorer:
        return RecordScorer(refusal="patterns", scoring="screen", audit_rate=0.05)

    saved: list[tuple[ScoredBatch, list]] = []
    keep = LogIngest._flush

    def spy(job, batch, offset, line):  # what each flush scored, before the store
        keep(job, batch, offset, line)
        saved.append((batch, list(batch.problems)))

    monkeypatch.setattr(LogIngest, "_flush", spy)
    real = scorer()
    scored_batches: list[ScoredBatch] = []
    score_columns = real.score_columns

    def keep_scored(batch, *, source, embedder):
        scored, vectors = score_columns(batch, source=source, embedder=embedder)
        scored_batches.append(scored)
        return scored, vectors

    monkeypatch.setattr(real, "score_columns", keep_scored)
    with MonitorStore(tmp_path / "m.duckdb") as store:
        result = ingest_file(log, store, IngestSettings(scorer=real, embedder=None))
    assert len(scored_batches) == 1  # one batch: one over-refusal and audit pass, as below
    got = scored_batches[0]
    want, problems = _reference(lines, scorer())
    assert [p for _, found in saved for p in found] == problems
    assert result.problems == len(problems) > 10
    assert any("invalid JSON" in message for _, message in problems)
    for column in (
        "keys", "micros", "lines", "models", "prompts", "responses", "input_actions",
        "output_actions", "input_categories", "output_categories", "refusals",
        "over_refusals", "audits",
    ):  # fmt: skip
        assert getattr(got, column) == getattr(want, column), column
    assert len(got.audits) > 20 and set(got.refusals) >= {
        "full_refusal", "partial_refusal", "full_compliance", NO_RESPONSE,
    }  # fmt: skip


def test_batched_refusal_labels_match_one_text_at_a_time():
    texts = [
        *RESPONSES,
        "a\n\x00\nI cannot",  # holds the batch separator: labelled one by one
        "Nothing to see \u2018here\u2019.",
        "\u212aeep it; I won\u2019t.",
        "sorryx" * 50,
    ]
    for batch in (texts, texts[9:]):  # with the separator in a text, and without
        assert refusal_labels(batch) == [classify_refusal(t)[0] for t in batch]
    # Anchors only: every text the per-text prefilter keeps (not always the reverse).
    plain = [normalise_apostrophes(t) for t in texts]
    for batch in (texts, texts[9:]):
        found = refusal_candidates(batch)
        kept = [may_hold_refusal(plain[texts.index(t)]) for t in batch]
        assert all(f for f, k in zip(found, kept, strict=True) if k)
    assert found[0] and not kept[0]  # "Nothing" holds the anchor "not", no keyword
    assert refusal_candidates(texts[:1]) == [False] and refusal_candidates([]) == []


def test_crlf_lines_keep_their_numbers_problems_and_resume_offsets(tmp_path, settings, chat):
    # orjson reads a line with its "\r\n" (JSON whitespace); blank and malformed lines
    # still count as lines, and the stored offset is the end of the last line read.
    first = [json.dumps(chat(0)), "", "{not json", "  ", json.dumps(chat(1))]
    log = tmp_path / "crlf.jsonl"
    log.write_bytes(("\r\n".join(first) + "\r\n").encode("utf-8"))
    size = log.stat().st_size
    with MonitorStore(tmp_path / "m.duckdb") as store:
        result = ingest_file(log, store, settings)
        assert (result.read, result.problems, result.line) == (2, 1, 5)
        assert [p[1] for p in store.problems()] == [3]
        assert store.position(str(log.resolve())).byte_offset == size
        with log.open("ab") as handle:  # a record, a list, and a last line with no newline
            handle.write(f"{json.dumps(chat(2))}\r\n[1]\r\n{json.dumps(chat(3))}".encode())
        resumed = ingest_file(log, store, settings)
        assert (resumed.resumed_from_line, resumed.read, resumed.line) == (5, 2, 8)
        assert [p[1] for p in store.problems()] == [3, 7]
        position = store.position(str(log.resolve()))
        assert (position.byte_offset, position.line) == (log.stat().st_size, 8)
    assert result.first_problems[0].startswith(f"{log}:3: invalid JSON")
