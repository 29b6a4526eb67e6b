"""A reward model as a scorer: ``reward:MODEL_DIR`` (``redline reward score``, ``redline score``).

Every scored attempt gets label ``reward``, ``value = sigmoid(reward)`` (a
Score's value lives in [0, 1]) and the raw reward in the rationale. The label
says nothing about attack success, so summaries read it as not applicable; it
is for ranking answers and for tracking a reward over runs.
"""

from __future__ import annotations

import math
from pathlib import Path

from redline.alignment.prefs import Turn
from redline.alignment.prefs_build import prompt_turns
from redline.alignment.reward_model import RewardModel, load_reward_model
from redline.core import Attempt, Score
from redline.scoring.base import SCORERS, ScorerParams

REWARD_LABEL = "reward"


class RewardParams(ScorerParams):
    model: str


def sigmoid(value: float) -> float:
    """The logistic function, safe for large magnitudes."""
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    e = math.exp(value)
    return e / (1.0 + e)


@SCORERS.register("reward")
class RewardScorer:
    """Puts a trained reward model's reward on each response."""

    Params = RewardParams
    argument = "model"
    positive_labels: tuple[str, ...] = ()

    def __init__(self, model: str | Path, *, reward_model: RewardModel | None = None) -> None:
        self.model_dir = Path(model)
        self.reward_model = reward_model or load_reward_model(self.model_dir)
        self.name = f"reward:{model}"
        fingerprint = self.reward_model.card.get("data", {}).get("fingerprint", "")
        self.version = f"reward-{self.reward_model.card.get('backbone')}-{fingerprint}"

    def score(self, attempt: Attempt) -> Score:
        return self.score_many([attempt])[0]

    def score_many(self, attempts: list[Attempt]) -> list[Score]:
        """Rewards for a batch in one pass (the embedding model batches well)."""
        prompts: list[list[Turn]] = [
            list(prompt_turns(a) or [Turn(role="user", content="")]) for a in attempts
        ]
        rewards = self.reward_model.rewards(prompts, [a.response or "" for a in attempts])
        return [
            Score(
                attempt_id=a.id,
                scorer=self.name,
                scorer_version=self.version,
                label=REWARD_LABEL,
                value=round(sigmoid(float(r)), 6),
                rationale=f"reward {float(r):.4f}",
            )
            for a, r in zip(attempts, rewards, strict=True)
        ]


def reward_of(score: Score) -> float | None:
    """The raw reward a :class:`RewardScorer` score carries (None for other scores)."""
    if score.label != REWARD_LABEL or not score.rationale.startswith("reward "):
        return None
    try:
        return float(score.rationale.split()[1])
    except (IndexError, ValueError):
        return None
