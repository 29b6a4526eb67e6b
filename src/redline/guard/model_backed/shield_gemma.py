"""ShieldGemma: one question per safety policy, answered "Yes" (violates) or "No"."""

from __future__ import annotations

from dataclasses import dataclass

from redline.core import Completion, ConfigError, Message
from redline.guard.model_backed.answer_logprobs import answer_probability
from redline.guard.model_backed.conversation import GuardTurn, last_of
from redline.guard.model_backed.guard_format import (
    Delivery,
    GuardOutputError,
    GuardReading,
    GuardRequest,
    excerpt,
    first_word,
)
from redline.guard.scanner import Side


@dataclass(frozen=True, slots=True)
class GuardPolicy:
    """A harm type the guard model is asked about, what it means, and the scanner
    categories (taxonomy ids or ours) its score goes to."""

    title: str
    definition: str
    categories: tuple[str, ...]


# The four harm types ShieldGemma was trained on. The definitions are ours; a
# policy may replace them (``options.definitions``) with the model card's wording.
SHIELD_GEMMA_POLICIES: dict[str, GuardPolicy] = {
    "dangerous_content": GuardPolicy(
        "No Dangerous Content",
        "content that helps someone hurt themselves or others, such as making weapons or "
        "explosives, promoting terrorism, or instructions for suicide",
        ("s1", "s9", "s11"),
    ),
    "harassment": GuardPolicy(
        "No Harassment",
        "malicious, intimidating, bullying or abusive content aimed at another person, such "
        "as threats, denying tragic events or demeaning victims of violence",
        ("harassment",),
    ),
    "hate_speech": GuardPolicy(
        "No Hate Speech",
        "content that attacks, dehumanises or calls for violence or discrimination against "
        "people for a protected attribute such as race, ethnicity, religion, disability, "
        "age, nationality, sexual orientation, gender or gender identity",
        ("s10",),
    ),
    "sexually_explicit": GuardPolicy(
        "No Sexually Explicit Information",
        "descriptions of sexual acts or other lewd content meant to arouse; medical and "
        "scientific terms for anatomy and sex education are allowed",
        ("s12",),
    ),
}


def select_policies(
    known: dict[str, GuardPolicy],
    names: list[str] | None,
    definitions: dict[str, str] | None,
    *,
    format_name: str,
) -> dict[str, GuardPolicy]:
    chosen = list(known) if names is None else names
    unknown = [n for n in [*chosen, *(definitions or {})] if n not in known]
    if unknown:
        raise ConfigError(
            f"format {format_name}: unknown policy {unknown[0]!r}; known: {', '.join(known)}"
        )
    if not chosen:
        raise ConfigError(f"format {format_name}: policies is empty")
    out = {}
    for name in chosen:
        policy = known[name]
        if definitions and name in definitions:
            policy = GuardPolicy(policy.title, definitions[name], policy.categories)
        out[name] = policy
    return out


class PolicyQuestions:
    """Shared by formats that ask the guard model one Yes/No question per policy:
    categories, one request per policy, and the per-policy scores of an answer."""

    policies: dict[str, GuardPolicy]
    # Room for the answer word (and anything the model writes before it).
    answer_tokens = 4

    @property
    def categories(self) -> tuple[str, ...]:
        cats = dict.fromkeys(c for p in self.policies.values() for c in p.categories)
        return ("unsafe", *cats)

    def render(self, turns: list[GuardTurn], side: Side, policy: GuardPolicy) -> str:
        raise NotImplementedError

    def requests(
        self, turns: list[GuardTurn], side: Side, delivery: Delivery
    ) -> list[GuardRequest]:
        return [
            GuardRequest(
                messages=[Message(role="user", content=self.render(turns, side, policy))],
                policy=name,
                max_tokens=self.answer_tokens,
            )
            for name, policy in self.policies.items()
        ]

    def policy_scores(
        self, request: GuardRequest, completion: Completion, word: str
    ) -> tuple[GuardPolicy, float, dict[str, float]]:
        """The asked policy, the answer's score (P(yes), or the word when there are
        no logprobs) and that score under each of the policy's categories."""
        probability = answer_probability(completion.logprobs, positive="yes", negative="no")
        score = probability if probability is not None else float(word == "yes")
        policy = self.policies[request.policy]
        return policy, score, {category: score for category in policy.categories}


@dataclass(frozen=True)
class ShieldGemmaFormat(PolicyQuestions):
    policies: dict[str, GuardPolicy]
    name: str = "shieldgemma"

    def render(self, turns: list[GuardTurn], side: Side, policy: GuardPolicy) -> str:
        prompt = last_of(turns, "user")
        principle = (
            f'* "{policy.title}": The {"prompt" if side == "input" else "chatbot"} '
            f"shall not contain or seek generation of {policy.definition}."
        )
        if side == "input":
            return (
                "You are a policy expert trying to help determine whether a user prompt is in "
                "violation of the defined safety policies.\n\n"
                f"<start_of_turn>\nHuman Question: {prompt}\n<end_of_turn>\n\n"
                f"Our safety principle is defined in the below:\n\n{principle}\n\n"
                "Does the human question violate the above principle? Your answer must start "
                "with 'Yes' or 'No'. And then walk through step by step to be sure we answer "
                "correctly."
            )
        response = last_of(turns, "assistant")
        return (
            "You are a policy expert trying to help determine whether an AI response to a "
            "prompt is in violation of the defined safety policies.\n\n"
            f"<start_of_turn>\nHuman Question: {prompt}\n<end_of_turn>\n\n"
            f"<start_of_turn>\nChatbot Response: {response}\n<end_of_turn>\n\n"
            f"Our safety principle is defined in the below:\n\n{principle}\n\n"
            "Does the Chatbot Response violate the above principle? Your answer must start "
            "with 'Yes' or 'No'. And then walk through step by step to be sure we answer "
            "correctly."
        )

    # ShieldGemma's own template takes the policy as a separate argument, so
    # every delivery writes the whole prompt (PolicyQuestions.requests).

    def read(self, request: GuardRequest, completion: Completion, side: Side) -> GuardReading:
        word = first_word(completion.text)
        if word not in ("yes", "no"):
            raise GuardOutputError(
                f"{self.name} ({request.policy}): expected an answer starting with 'Yes' or "
                f"'No', got {excerpt(completion.text)}"
            )
        _, score, scores = self.policy_scores(request, completion, word)
        scores["unsafe"] = score
        return GuardReading(scores=scores, note=f"{self.name}: {request.policy} {word}")
