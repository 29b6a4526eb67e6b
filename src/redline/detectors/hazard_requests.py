"""Requests to make a dangerous thing, found by rule: a making verb followed within
a few words by a dangerous object ("cook methamphetamine", "fabrico una bomba
casera"), in English, Spanish, French, German, Italian, Portuguese and Hindi ("बम
कैसे बनाऊँ": the object first).

Why a rule beside the harm classifier: the classifier learned few of these
objects (the public training sets name "meth" in 28 harmful examples of about
56,000) and none of them in other languages, so "¿Cómo fabrico una bomba
casera?" and a thriller scene in which a chemist "cooks methamphetamine, with
quantities and temperatures" passed the default policy (issue 10). The rule is
narrow on purpose: it names the most severe hazards (drug synthesis, explosives,
chemical and biological agents, untraceable guns, and in English malicious code:
"write a keylogger", "create a phishing page") and needs a making verb before the
object, so "the bomb squad", "a history of the atomic bomb", "a malware scanner" or
"what is sarin?" do not match.

Recipes: a synthesis route named by its ingredients, one from each group within a
window of words ("extract the pseudoephedrine ... red phosphorus and iodine"). A
reply gives a route away that way, whatever its verbs, so recipes are read on both
sides, where requests are read on inputs only. The words are data:
``data/hazard_requests.yaml``. The guard's harm scanner reads both.

The matcher (:class:`RequestRules`) pairs the verbs of a group with the same
group's objects only; here a group is a language (and English malicious code,
``en-code``, is one of its own: "write" and "code" make malware, not bombs). It also
reads
``data/crime_requests.yaml`` (``detectors.crime_requests``), where a group is one
crime in one language, and serves that file's optional fields: request ``frames``
(by language, each group naming its ``language``) that must come shortly before a
match, ``frame_breaks`` that undo them, and the ``kind`` a reason names.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from redline.core.errors import ConfigError
from redline.detectors.phrase_file import load_data_file
from redline.detectors.word_rules import (
    PIECE,
    folded_pieces,
    folded_words,
    near,
    positions,
    word_set,
)
from redline.detectors.word_rules import phrases as _file_phrases

RULES_FILE = "hazard_requests.yaml"
# The most words a frame may have: frames are short request phrases ("how can I",
# "la mejor manera de"), so a longer one is a mistake in the file.
_LONGEST_FRAME = 8


@dataclass(frozen=True, slots=True)
class RequestMatch:
    """One match: a verb-object request or a recipe, its category, its words and
    the span of its object (of a recipe's first ingredient)."""

    category: str
    group: str
    verb: str
    object: str
    start: int
    end: int
    # For a recipe match: the ingredients named (``object`` is the recipe's name).
    ingredients: tuple[str, ...] = ()
    # What the rules file calls a verb-object match ("hazard request", "crime request").
    kind: str = "hazard request"

    def describe(self) -> str:
        if self.ingredients:
            return f"hazard recipe: {self.object} ({', '.join(self.ingredients)})"
        return f"{self.kind} ({self.group}): {self.verb} ... {self.object}"


@dataclass(frozen=True, slots=True)
class _Recipe:
    name: str
    category: str
    groups: tuple[frozenset[tuple[str, ...]], ...]
    ingredients: frozenset[tuple[str, ...]]  # every group's, together
    longest: int
    firsts: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Frames:
    """One language's request frames, with what the scan needs."""

    phrases: frozenset[tuple[str, ...]]
    firsts: frozenset[str]
    longest: int

    @classmethod
    def of(cls, phrases: frozenset[tuple[str, ...]]) -> _Frames:
        return cls(phrases, frozenset(f[0] for f in phrases), max(map(len, phrases), default=0))


@dataclass(frozen=True, slots=True)
class _Group:
    """Verbs and the objects they pair with (a language's hazards, or one crime in
    one language), with what the first look and the scan need."""

    name: str
    verbs: frozenset[tuple[str, ...]]
    objects: dict[tuple[str, ...], str]  # object words -> category
    verb_after: bool
    longest_verb: int
    longest_object: int
    verb_firsts: frozenset[str]
    object_firsts: frozenset[str]
    # Word pieces a text holds when it holds a verb (an object): it needs one of each
    # for this group's words to be worth reading (most texts lack one or both).
    verb_pieces: frozenset[str]
    object_pieces: frozenset[str]
    # The words that undo a pair right after and right before a target, and how many
    # words after the verb a target may start: the file's, or the group's own in their
    # place ("hack into my boyfriend's email": "email" undoes "shoot someone an email"
    # but is the target there; "spread awareness *about* misinformation"; "scam" is a
    # verb right before its target and mostly a noun anywhere else).
    not_after: frozenset[str]
    not_before: frozenset[str]
    window: int
    # The language whose request frames this group's acts need (the file's
    # ``frames`` by language); "" where the frames are one list for every group.
    language: str = ""


@dataclass(frozen=True, slots=True)
class RequestRules:
    """A parsed rules file of verb-object requests (and recipes): ``find`` returns
    the matches in a text."""

    groups: tuple[_Group, ...]
    recipes: tuple[_Recipe, ...] = ()
    recipe_window: int = 40
    # Every word piece of any recipe ingredient's first word: a text with none of
    # them skips the recipes.
    recipe_words: frozenset[str] = frozenset()
    # What a verb-object match is called in its reason (the file's ``kind``).
    kind: str = "hazard request"
    # When the file lists ``frames``: a match counts only with one of its group's
    # language ending at most ``frame_window`` words before its verb ("how can I",
    # "the best way to"), or before its first word where the verb may follow the
    # object. Keyed by language ("" for one list that serves every group).
    frames: dict[str, _Frames] = field(default_factory=dict)
    frame_window: int = 0
    # Words that, between the frame and the verb, turn the request around ("how to
    # stop someone stealing my car").
    frame_breaks: frozenset[str] = frozenset()
    # Languages whose frames may also follow the act, up to ``frame_window`` words
    # after its verb: verb-final languages ask "X लूटने का सबसे अच्छा तरीका" (the
    # best way of robbing X) and "X चुराना चाहता हूँ" (I want to steal X). There the
    # ``frame_window`` words after the verb, and after a frame that follows it, must
    # hold no frame break: such a language says last what it asks ("चोरी कैसे रोकें",
    # how to stop theft).
    frames_after: frozenset[str] = frozenset()
    # Languages of ``frames_after`` that put the act in the middle (Thai: "ปล้นธนาคาร
    # ได้อย่างไร", how can I rob a bank): there the ``frame_window`` words *before*
    # the act, not after it, must hold no frame break, since what comes before says
    # whose act it is and whether it is done ("ตำรวจจับคนร้ายที่ปล้นร้านทองได้อย่างไร",
    # how did the police catch the robber who robbed the gold shop; "ฉันจะไม่ทำร้าย
    # ใคร", I will not hurt anyone), and what follows it is its target and how
    # ("ปล้นธนาคารโดยไม่ถูกจับ", rob a bank without getting caught).
    breaks_before_act: frozenset[str] = frozenset()
    # Each group's verb key pieces -> the indexes of the groups that have them: the
    # first look meets the text's pieces with these once, where asking each of a
    # hundred groups in turn cost more than the rest of the rules on a short text
    # (docs/benchmarks.md, "Cost of the session" of the twenty-fourth session).
    verb_index: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def find(
        self, text: str, *, requests: bool = True, pieces: frozenset[str] | None = None
    ) -> list[RequestMatch]:
        """Every match in ``text``: recipes, and with ``requests`` verb-object
        requests too (one per object occurrence). ``pieces``: the text's
        ``folded_pieces``, when the caller has them (the harm scanner reads two
        rules with one)."""
        if pieces is None:
            pieces = frozenset(folded_pieces(text))
        # A word-set look (~30 us per 1,000 characters) spares most texts the scan.
        groups = self._candidates(pieces) if requests else []
        wants_recipes = not self.recipe_words.isdisjoint(pieces)
        if not (groups or wants_recipes):
            return []
        words = folded_words(text)
        tokens = [w for w, _, _ in words]
        found = self._recipes(tokens, words) if wants_recipes else []
        if groups:
            found += self._requests(tokens, words, groups)
        return found

    def _candidates(self, pieces: frozenset[str]) -> list[_Group]:
        """The groups (in file order) whose verbs and objects may both be in a text
        holding ``pieces``: the index names those with a verb piece, and of them the
        ones with an object piece too are kept."""
        indexes = {i for piece in pieces & self.verb_index.keys() for i in self.verb_index[piece]}
        return [
            group
            for i in sorted(indexes)
            if not (group := self.groups[i]).object_pieces.isdisjoint(pieces)
        ]

    def _recipes(self, tokens: list[str], words: list[tuple[str, int, int]]) -> list[RequestMatch]:
        found = []
        for recipe in self.recipes:
            hits = positions(tokens, recipe.ingredients, recipe.longest, recipe.firsts)
            by_group = [
                [(i, n) for i, n in hits if tuple(tokens[i : i + n]) in group]
                for group in recipe.groups
            ]
            if not all(by_group):
                continue
            window = self.recipe_window
            for anchor, length in by_group[0]:
                nearest = [
                    next(near(group, anchor - window, anchor + window), None)
                    for group in by_group[1:]
                ]
                if any(h is None for h in nearest):
                    continue
                chosen = [(anchor, length), *[h for h in nearest if h is not None]]
                found.append(
                    RequestMatch(
                        category=recipe.category,
                        group="",
                        verb="",
                        object=recipe.name,
                        start=words[anchor][1],
                        end=words[anchor + length - 1][2],
                        ingredients=tuple(" ".join(tokens[i : i + n]) for i, n in chosen),
                    )
                )
                break
        return found

    def _requests(
        self, tokens: list[str], words: list[tuple[str, int, int]], groups: list[_Group]
    ) -> list[RequestMatch]:
        found: list[RequestMatch] = []
        # Each language's frames in the text, found once (only for languages asked).
        framed_at: dict[str, list[tuple[int, int]]] = {}
        for group in groups:
            frames: list[tuple[int, int]] = []
            wanted = self.frames.get(group.language)
            if self.frames:
                if wanted is None:
                    continue
                if group.language not in framed_at:
                    framed_at[group.language] = positions(
                        tokens, wanted.phrases, wanted.longest, wanted.firsts
                    )
                frames = framed_at[group.language]
                if not frames:
                    continue
            verbs = positions(tokens, group.verbs, group.longest_verb, group.verb_firsts)
            follows = group.language in self.frames_after
            # The frame comes before the request: before the verb, or before the
            # object where the verb may come last ("wie kann ich ein Auto stehlen");
            # or, in a language of ``frames_after``, right after the verb too.
            if wanted is not None and not (group.verb_after or follows):
                verbs = [v for v in verbs if self._framed(frames, wanted, tokens, v[0])]
            if not verbs:
                continue
            for start, length, category in _objects(tokens, group):
                verb = _verb_near(
                    verbs,
                    start,
                    start + length,
                    group.window,
                    group.verb_after,
                    group.longest_verb,
                )
                if verb is None:
                    continue
                if wanted is not None and follows:
                    if not self._asked_verb_last(
                        frames, wanted, tokens, verb, start, group.language
                    ):
                        continue
                elif (
                    wanted is not None
                    and group.verb_after
                    and not self._framed(frames, wanted, tokens, min(verb[0], start))
                ):
                    continue
                found.append(
                    RequestMatch(
                        category=category,
                        group=group.name,
                        verb=" ".join(tokens[verb[0] : verb[0] + verb[1]]),
                        object=" ".join(tokens[start : start + length]),
                        start=words[start][1],
                        end=words[start + length - 1][2],
                        kind=self.kind,
                    )
                )
        return found

    def _framed(
        self, frames: list[tuple[int, int]], wanted: _Frames, tokens: list[str], at: int
    ) -> bool:
        """Whether a frame (index, length) of ``wanted`` found at ``frames`` ends at
        most ``frame_window`` words before the word at ``at``, with no frame break
        between them."""
        window = self.frame_window
        for index, length in near(frames, at - window - wanted.longest, at - 1):
            end = index + length
            if 0 <= at - end <= window and self.frame_breaks.isdisjoint(tokens[end:at]):
                return True
        return False

    def _asked_verb_last(
        self,
        frames: list[tuple[int, int]],
        wanted: _Frames,
        tokens: list[str],
        verb: tuple[int, int],
        start: int,
        language: str,
    ) -> bool:
        """Whether the act (``verb``, its target at ``start``) is asked in a language of
        ``frames_after``: no frame break in the ``frame_window`` words after the verb
        (before it, in a language of ``breaks_before_act``), and a frame before the
        target, before the verb or after the verb."""
        end = verb[0] + verb[1]
        if language in self.breaks_before_act:
            near_act = tokens[max(0, verb[0] - self.frame_window) : verb[0]]
        else:
            near_act = tokens[end : end + self.frame_window]
        if not self.frame_breaks.isdisjoint(near_act):
            return False
        before = {min(verb[0], start), verb[0]}  # the target's start, or the verb's
        return any(self._framed(frames, wanted, tokens, at) for at in before) or self._followed(
            frames, tokens, end
        )

    def _followed(self, frames: list[tuple[int, int]], tokens: list[str], at: int) -> bool:
        """Whether a frame found at ``frames`` starts at most ``frame_window`` words
        after the word at ``at`` (the one after the verb), with no frame break between
        them nor in the ``frame_window`` words after the frame."""
        window = self.frame_window
        for index, length in near(frames, at, at + window):
            after = index + length
            if self.frame_breaks.isdisjoint(tokens[at:index]) and self.frame_breaks.isdisjoint(
                tokens[after : after + window]
            ):
                return True
        return False


def _key_pieces(phrases: Any) -> frozenset[str]:
    """The longest word piece of each phrase: a text holding the phrase holds it, and
    a long piece is a rarer one ("away" for "get away with", "plane" for "a plane",
    "someone" for "someone's"), so fewer texts pass the first look."""
    return frozenset(
        max((piece for word in words for piece in PIECE.findall(word)), key=len)
        for words in phrases
    )


def _objects(tokens: list[str], group: _Group) -> list[tuple[int, int, str]]:
    """(index, length, category) of each object not turned into something else by
    the word right after or right before it."""
    not_after, not_before = group.not_after, group.not_before
    out = []
    i = 0
    while i < len(tokens):
        if tokens[i] not in group.object_firsts:
            i += 1
            continue
        for n in range(min(group.longest_object, len(tokens) - i), 0, -1):
            category = group.objects.get(tuple(tokens[i : i + n]))
            if category is None:
                continue
            after = tokens[i + n] if i + n < len(tokens) else ""
            before = tokens[i - 1] if i > 0 else ""
            if after not in not_after and before not in not_before:
                out.append((i, n, category))
            i += n - 1
            break
        i += 1
    return out


def _verb_near(
    verbs: list[tuple[int, int]],
    start: int,
    end: int,
    window: int,
    verb_after: bool,
    longest: int,
) -> tuple[int, int] | None:
    """The verb whose end is at most ``window`` words before the object (or, with
    ``verb_after``, that starts at most ``window`` words after it); ``longest`` is
    the longest verb's length in words."""
    for index, length in near(verbs, start - window - longest, end + window):
        gap = start - (index + length)
        if 0 <= gap < window:
            return index, length
        if verb_after and 0 <= index - end < window:
            return index, length
    return None


def parse_rules(data: Any, file: str = RULES_FILE) -> RequestRules:
    """Rules from the parsed YAML document ``file`` (the name errors give); ConfigError
    naming the bad field."""
    if not isinstance(data, dict) or not isinstance(data.get("groups"), dict):
        raise ConfigError(f"{file}: expected a mapping with 'groups'")
    window = data.get("window")
    if not isinstance(window, int) or window < 1:
        raise ConfigError(f"{file}: 'window' must be a positive integer")
    categories = data.get("categories")
    if not isinstance(categories, dict) or not categories:
        raise ConfigError(f"{file}: 'categories' must map category ids to names")
    frames = _parse_frames(data.get("frames", []), file)
    by_language = bool(frames) and "" not in frames
    guards = {key: word_set(data.get(key, []), key, file) for key in ("not_after", "not_before")}
    groups = []
    for name, spec in data["groups"].items():
        if not isinstance(spec, dict):
            raise ConfigError(f"{file}: groups.{name} must be a mapping")
        language = spec.get("language", "")
        if by_language and language not in frames:
            raise ConfigError(
                f"{file}: groups.{name}.language must name one of the frames' languages "
                f"({', '.join(frames)})"
            )
        if language and not by_language:
            raise ConfigError(f"{file}: groups.{name}.language needs 'frames' given by language")
        verbs = frozenset(_file_phrases(spec.get("verbs"), f"groups.{name}.verbs", file))
        if not verbs:
            raise ConfigError(f"{file}: groups.{name}.verbs is empty")
        objects: dict[tuple[str, ...], str] = {}
        raw_objects = spec.get("objects")
        if not isinstance(raw_objects, dict) or not raw_objects:
            raise ConfigError(f"{file}: groups.{name}.objects must be a mapping")
        for category, values in raw_objects.items():
            if category not in categories:
                raise ConfigError(
                    f"{file}: groups.{name}.objects.{category}: "
                    f"unknown category (known: {', '.join(categories)})"
                )
            for words in _file_phrases(values, f"groups.{name}.objects.{category}", file):
                objects[words] = category
        own_window = spec.get("window", window)
        if "window" in spec and (
            isinstance(own_window, bool) or not isinstance(own_window, int) or own_window < 1
        ):
            raise ConfigError(f"{file}: groups.{name}.window must be a positive integer")
        groups.append(
            _Group(
                name=name,
                verbs=verbs,
                objects=objects,
                verb_after=bool(spec.get("verb_after", False)),
                longest_verb=max(len(v) for v in verbs),
                longest_object=max(len(o) for o in objects),
                verb_firsts=frozenset(v[0] for v in verbs),
                object_firsts=frozenset(o[0] for o in objects),
                verb_pieces=_key_pieces(verbs),
                object_pieces=_key_pieces(objects),
                not_after=_own_words(spec, "not_after", name, file, guards["not_after"]),
                not_before=_own_words(spec, "not_before", name, file, guards["not_before"]),
                window=own_window,
                language=language,
            )
        )
    recipes = _parse_recipes(data.get("recipes") or {}, categories, file)
    kind = data.get("kind", "hazard request")
    if not isinstance(kind, str) or not kind:
        raise ConfigError(f"{file}: 'kind' must be a non-empty string")
    frame_window = data.get("frame_window", 0)
    if frames and (not isinstance(frame_window, int) or frame_window < 0):
        raise ConfigError(f"{file}: 'frame_window' must be a non-negative integer")
    frame_breaks = word_set(data.get("frame_breaks", []), "frame_breaks", file)
    frames_after = data.get("frames_after", [])
    if not isinstance(frames_after, list) or not all(
        isinstance(language, str) and language in frames for language in frames_after
    ):
        raise ConfigError(
            f"{file}: 'frames_after' must list languages of the frames ({', '.join(frames)})"
        )
    breaks_before_act = data.get("breaks_before_act", [])
    if not isinstance(breaks_before_act, list) or not set(breaks_before_act) <= set(frames_after):
        raise ConfigError(f"{file}: 'breaks_before_act' must list languages of 'frames_after'")
    recipe_window = data.get("recipe_window", 40)
    if not isinstance(recipe_window, int) or recipe_window < 1:
        raise ConfigError(f"{file}: 'recipe_window' must be a positive integer")
    verb_index: dict[str, list[int]] = {}
    for i, group in enumerate(groups):
        for piece in group.verb_pieces:
            verb_index.setdefault(piece, []).append(i)
    return RequestRules(
        verb_index={piece: tuple(indexes) for piece, indexes in verb_index.items()},
        recipes=recipes,
        recipe_window=recipe_window,
        recipe_words=frozenset(
            piece for recipe in recipes for word in recipe.firsts for piece in PIECE.findall(word)
        ),
        groups=tuple(groups),
        kind=kind,
        frames=frames,
        frame_window=frame_window if frames else 0,
        frame_breaks=frame_breaks,
        frames_after=frozenset(frames_after),
        breaks_before_act=frozenset(breaks_before_act),
    )


def _own_words(
    spec: dict[str, Any], key: str, group: str, file: str, files: frozenset[str]
) -> frozenset[str]:
    """A group's own words under ``key`` (``not_after``, ``not_before``), or the
    file's (``files``) when the group names none."""
    if key not in spec:
        return files
    return word_set(spec[key], f"groups.{group}.{key}", file)


def _parse_frames(data: Any, file: str) -> dict[str, _Frames]:
    """The file's ``frames``: one list for every group (keyed ""), or lists by
    language, each group then naming its ``language``."""
    lists = data if isinstance(data, dict) else {"": data}
    frames = {}
    for language, phrases in lists.items():
        where = f"frames.{language}" if language else "frames"
        parsed = frozenset(_file_phrases(phrases, where, file))
        if any(len(f) > _LONGEST_FRAME for f in parsed):
            raise ConfigError(f"{file}: a frame has more than {_LONGEST_FRAME} words ({where})")
        if parsed:
            frames[str(language)] = _Frames.of(parsed)
    return frames


def _parse_recipes(data: Any, categories: dict[str, str], file: str) -> tuple[_Recipe, ...]:
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: 'recipes' must be a mapping")
    recipes = []
    for name, spec in data.items():
        where = f"recipes.{name}"
        if not isinstance(spec, dict) or spec.get("category") not in categories:
            raise ConfigError(f"{file}: {where} needs a category (known: {', '.join(categories)})")
        raw = spec.get("groups")
        if not isinstance(raw, list) or len(raw) < 2:
            raise ConfigError(f"{file}: {where}.groups must list two or more groups")
        groups = tuple(
            frozenset(_file_phrases(group, f"{where}.groups[{i}]", file))
            for i, group in enumerate(raw)
        )
        if not all(groups):
            raise ConfigError(f"{file}: {where}.groups: a group is empty")
        every: frozenset[tuple[str, ...]] = frozenset().union(*groups)
        recipes.append(
            _Recipe(
                name=str(name),
                category=spec["category"],
                groups=groups,
                ingredients=every,
                longest=max(len(p) for p in every),
                firsts=frozenset(p[0] for p in every),
            )
        )
    return tuple(recipes)


@functools.cache
def hazard_rules() -> RequestRules:
    """The shipped rules (``data/hazard_requests.yaml``), read once."""
    return parse_rules(load_data_file(RULES_FILE))
