"""User prompts files: good files of each kind, and every bad-line case."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from redline.core.errors import ConfigError
from redline.data import dataset_hash, default_prompt_id, load_prompts


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def jsonl(path: Path, *lines: object) -> Path:
    rendered = [line if isinstance(line, str) else json.dumps(line) for line in lines]
    return write(path, "\n".join(rendered) + "\n")


def bad_lines(exc: pytest.ExceptionInfo[ConfigError]) -> list[str]:
    return str(exc.value).splitlines()[1:]


def test_jsonl_all_fields_and_defaults(tmp_path: Path) -> None:
    path = jsonl(
        tmp_path / "p.jsonl",
        {
            "id": "a1",
            "prompt": "Say hi",
            "category": "benign",
            "expected": "comply",
            "tags": ["x", "y"],
            "system_prompt": "Be brief.",
        },
        "",
        {"prompt": "How do I pick a lock?", "category": "S2", "team": "red"},
    )
    first, second = load_prompts(path)
    assert first.id == "a1"
    assert (first.category, first.expected, first.tags) == ("benign", "comply", ["x", "y"])
    assert first.system_prompt == "Be brief."
    assert first.source == "p.jsonl"
    assert second.id == default_prompt_id(3, "How do I pick a lock?")
    assert second.id.startswith("p-3-") and len(second.id) == len("p-3-") + 8
    assert second.category == "s2"  # Llama Guard spelling normalised
    assert second.expected == "refuse"
    assert second.metadata == {"line": 3, "team": "red"}


def test_defaults_come_from_arguments(tmp_path: Path) -> None:
    path = write(tmp_path / "p.txt", "What is the weather?\n")
    (b,) = load_prompts(path, default_expected="comply", default_category="benign")
    assert (b.expected, b.category) == ("comply", "benign")


def test_txt_skips_blank_and_comment_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "p.txt", "# header\n\nfirst prompt\n   # indented comment\r\nsecond\n")
    behaviors = load_prompts(path)
    assert [b.prompt for b in behaviors] == ["first prompt", "second"]
    assert [b.metadata["line"] for b in behaviors] == [3, 5]


def test_csv_with_optional_columns_and_quoted_newlines(tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.csv",
        'Prompt,expected,tags,id\n"line one\nline two",comply,a;b,x\nplain,,,\n',
    )
    first, second = load_prompts(path)
    assert first.prompt == "line one\nline two"
    assert (first.id, first.expected, first.tags) == ("x", "comply", ["a", "b"])
    assert second.id == default_prompt_id(4, "plain")
    assert second.expected == "refuse"


def test_csv_with_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbfprompt\nhello\n")
    assert [b.prompt for b in load_prompts(path)] == ["hello"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"prompt": "x",}', "2: invalid JSON"),
        ('{"id": "z"}', "2: missing field 'prompt'"),
        ('{"prompt": "   "}', "2: empty prompt"),
        ('{"prompt": "x", "expected": "deny"}', "2: unknown expected value 'deny'"),
        ('{"prompt": 5}', "2: field 'prompt' must be a string"),
        (
            '{"prompt": "x", "categroy": "s1"}',
            "2: unknown field 'categroy' (did you mean 'category'?)",
        ),
        ('{"prompt": "x", "tags": "a"}', None),
        ('{"prompt": "x", "tags": [1]}', "2: field 'tags' must be a list of strings"),
        ('["prompt"]', "2: expected a JSON object, got list"),
        ('{"id": "dup", "prompt": "again"}', "2: duplicate id 'dup' (first on line 1)"),
    ],
)
def test_jsonl_bad_line_names_file_and_line(tmp_path: Path, line: str, message: str | None) -> None:
    path = write(tmp_path / "p.jsonl", '{"id": "dup", "prompt": "ok"}\n' + line + "\n")
    if message is None:
        assert [b.tags for b in load_prompts(path)][1] == ["a"]
        return
    with pytest.raises(ConfigError) as exc:
        load_prompts(path)
    assert str(exc.value).splitlines()[0] == f"{path}: 1 bad line, nothing was run"
    (only,) = bad_lines(exc)
    assert only.startswith(f"{path}:{message}")


def test_bad_utf8_reports_line_and_byte_offset(tmp_path: Path) -> None:
    path = tmp_path / "p.txt"
    path.write_bytes(b"fine\nbro\xffken\nfine too\n")
    with pytest.raises(ConfigError) as exc:
        load_prompts(path)
    assert bad_lines(exc) == [f"{path}:2: invalid UTF-8 at byte offset 8"]


def test_bad_utf8_in_csv(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(b"prompt\nok\n\xc3\x28 bad\n")
    with pytest.raises(ConfigError, match=r"p\.csv:3: invalid UTF-8 at byte offset 10"):
        load_prompts(path)


def test_csv_bad_rows(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "prompt,expected\nok,refuse\n,comply\nx,maybe\na,b,c\n")
    with pytest.raises(ConfigError) as exc:
        load_prompts(path)
    assert bad_lines(exc) == [
        f"{path}:3: empty prompt",
        f"{path}:4: unknown expected value 'maybe' (use refuse or comply)",
        f"{path}:5: row has 3 fields, the header has 2",
    ]


def test_csv_without_prompt_column(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "text,label\nhello,1\n")
    with pytest.raises(ConfigError, match=r"p\.csv:1: no 'prompt' column in the header"):
        load_prompts(path)


def test_lists_ten_bad_lines_and_counts_the_rest(tmp_path: Path) -> None:
    lines = ['{"prompt": "ok"}'] + ["not json"] * 13
    path = write(tmp_path / "p.jsonl", "\n".join(lines) + "\n")
    with pytest.raises(ConfigError) as exc:
        load_prompts(path)
    message = str(exc.value).splitlines()
    assert message[0] == f"{path}: 13 bad lines, nothing was run"
    assert [m.split(":")[1] for m in message[1:11]] == [str(n) for n in range(2, 12)]
    assert message[11] == "... and 3 more bad lines"
    assert len(message) == 12


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("missing.jsonl", None, "missing.jsonl: no such file"),
        ("empty.jsonl", "", "empty.jsonl: file is empty"),
        ("blank.txt", "\n  \n", "blank.txt: file is empty"),
        ("comments.txt", "# only\n", "comments.txt: no prompts in file"),
        ("prompts.xml", "<a/>", r"prompts.xml: unknown prompts file extension '\.xml'"),
    ],
)
def test_file_level_errors_name_the_file(
    tmp_path: Path, name: str, content: str | None, match: str
) -> None:
    path = tmp_path / name
    if content is not None:
        write(path, content)
    with pytest.raises(ConfigError, match=match):
        load_prompts(path)


def test_directory_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "folder.jsonl"
    folder.mkdir()
    with pytest.raises(ConfigError, match=r"folder\.jsonl: is a directory"):
        load_prompts(folder)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path / "p.txt", "hello\n")
    path.chmod(0)
    with pytest.raises(ConfigError, match=r"p\.txt: cannot read"):
        load_prompts(path)


def test_bad_default_expected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="default expected value 'deny'"):
        load_prompts(write(tmp_path / "p.txt", "x\n"), default_expected="deny")


def test_dataset_hash_follows_ids_and_prompts_not_order(tmp_path: Path) -> None:
    a = load_prompts(write(tmp_path / "a.txt", "one\ntwo\n"))
    b = load_prompts(write(tmp_path / "b.txt", "one\ntwo\n"))
    c = load_prompts(write(tmp_path / "c.txt", "one\ntwo!\n"))
    assert dataset_hash(a) == dataset_hash(b) == dataset_hash(list(reversed(b)))
    assert dataset_hash(a) != dataset_hash(c)
    assert len(dataset_hash(a)) == 16
