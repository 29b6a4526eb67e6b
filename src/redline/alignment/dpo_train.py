"""DPO on a GGUF chat model (the bundled SmolLM2-135M by default), on CPU, with TRL.

:func:`train_dpo` converts the base GGUF into transformers once (cached; see
:func:`prepare_base`), trains with TRL's ``DPOTrainer`` (LoRA through peft, or
all weights), saves checkpoints every ``save_steps`` and, run again with the
same output folder, resumes from the last one. The result is merged (LoRA)
and written back as a GGUF the local target loads (:mod:`redline.alignment.dpo_gguf`).

Needs the ``redline[train]`` extra; check with
:func:`redline.alignment.dpo_base.require_train_extra` before importing this module.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from datasets import Dataset
from peft import LoraConfig
from pydantic import BaseModel, ConfigDict, Field
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
from transformers.trainer_utils import get_last_checkpoint
from trl import DPOConfig, DPOTrainer

from redline.alignment.dpo_base import base_gguf, default_cache_dir
from redline.alignment.dpo_gguf import GgufType, export_gguf
from redline.alignment.dpo_records import PreferenceRecord, read_preferences
from redline.core import content_hash

_READY = "redline-converted"
LORA_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


class DpoSettings(BaseModel):
    """One DPO training run."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    prefs: Path
    out: Path
    base: str = "local"
    lora: bool = True
    steps: int = Field(default=100, ge=1, le=100_000)
    batch_size: int = Field(default=4, ge=1)
    learning_rate: float = Field(default=5e-5, gt=0)
    beta: float = Field(default=0.1, gt=0)
    max_length: int = Field(default=384, ge=32)
    lora_rank: int = Field(default=16, ge=1)
    save_steps: int = Field(default=25, ge=1)
    seed: int = 0
    gguf_type: GgufType = "q8_0"
    cache_dir: Path | None = None


class DpoResult(BaseModel):
    """What a DPO run did: steps, speed, the last logged metrics and the GGUF written."""

    steps: int
    resumed_from: str | None
    train_seconds: float
    steps_per_second: float
    pairs: int
    metrics: dict[str, float]
    gguf: Path
    checkpoints: Path


def prepare_base(gguf: Path, *, cache_dir: Path | None = None) -> Path:
    """A Hugging Face copy of ``gguf``, converted once and then reused; returns its folder.

    transformers reads a GGUF by dequantising every tensor (minutes on a busy
    CPU) and marks the model GGUF-quantised, which its Trainer refuses to
    train; the copy is plain float32 safetensors and loads in seconds. Keyed
    by the file's name, size and modification time.
    """
    stat = gguf.stat()
    key = content_hash([gguf.name, stat.st_size, stat.st_mtime_ns])
    folder = (cache_dir or default_cache_dir()) / f"{gguf.stem}-{key}"
    if (folder / _READY).is_file():
        return folder
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32
    )
    # Nothing is quantised any more: drop the marks that stop the Trainer.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(str(partial))
    tokenizer.save_pretrained(str(partial))
    (partial / _READY).write_text(str(gguf), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return folder


def _dataset(records: list[PreferenceRecord]) -> Dataset:
    rows = [
        {
            "prompt": [m.model_dump(include={"role", "content"}) for m in r.prompt],
            "chosen": [m.model_dump(include={"role", "content"}) for m in r.chosen],
            "rejected": [m.model_dump(include={"role", "content"}) for m in r.rejected],
        }
        for r in records
    ]
    return Dataset.from_list(rows)


def _trainer_args(settings: DpoSettings, *, progress: bool) -> DPOConfig:
    return DPOConfig(
        output_dir=str(settings.out / "checkpoints"),
        max_steps=settings.steps,
        per_device_train_batch_size=settings.batch_size,
        learning_rate=settings.learning_rate,
        beta=settings.beta,
        max_length=settings.max_length,
        save_steps=settings.save_steps,
        save_total_limit=2,
        logging_steps=1,
        report_to="none",
        use_cpu=True,
        seed=settings.seed,
        disable_tqdm=not progress,
        # Neither gradient checkpointing (slower on CPU, no memory pressure at 135M)
        # nor a dataloader worker pool (the machine is shared).
        gradient_checkpointing=False,
        dataloader_num_workers=0,
    )


def train_dpo(
    settings: DpoSettings,
    *,
    progress: bool = True,
    callbacks: Sequence[TrainerCallback] = (),
) -> DpoResult:
    """Train, checkpoint, resume, merge and export; see the module docstring."""
    records = read_preferences(settings.prefs)
    source = base_gguf(settings.base)
    folder = prepare_base(source, cache_dir=settings.cache_dir)
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32)
    peft_config = (
        LoraConfig(
            r=settings.lora_rank,
            lora_alpha=2 * settings.lora_rank,
            lora_dropout=0.0,
            target_modules=LORA_MODULES,
            task_type="CAUSAL_LM",
        )
        if settings.lora
        else None
    )
    trainer = DPOTrainer(
        model=model,
        args=_trainer_args(settings, progress=progress),
        train_dataset=_dataset(records),
        processing_class=tokenizer,
        peft_config=peft_config,
        callbacks=list(callbacks),
    )
    checkpoints = settings.out / "checkpoints"
    last = get_last_checkpoint(str(checkpoints)) if checkpoints.is_dir() else None
    output = trainer.train(resume_from_checkpoint=last)
    tuned = trainer.model.merge_and_unload() if settings.lora else trainer.model
    weights = {name: t.detach().cpu().float().numpy() for name, t in tuned.state_dict().items()}
    gguf = export_gguf(
        weights, source=source, out=settings.out / "model.gguf", kind=settings.gguf_type
    )
    runtime = float(output.metrics.get("train_runtime", 0.0))
    done = int(trainer.state.global_step)
    started = int(Path(last).name.rsplit("-", 1)[-1]) if last else 0
    return DpoResult(
        steps=done,
        resumed_from=last,
        train_seconds=runtime,
        steps_per_second=(done - started) / runtime if runtime > 0 else 0.0,
        pairs=len(records),
        metrics=_last_metrics(trainer.state.log_history),
        gguf=gguf,
        checkpoints=checkpoints,
    )


def _last_metrics(history: list[dict[str, Any]]) -> dict[str, float]:
    """The last logged training step's loss and reward figures."""
    for entry in reversed(history):
        if "loss" in entry:
            return {k: float(v) for k, v in entry.items() if isinstance(v, int | float)}
    return {}
