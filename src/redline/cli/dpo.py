"""`redline dpo train`: DPO fine-tuning of a GGUF chat model, written back as GGUF."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from redline.cli.options import JsonOption, NoProgressOption
from redline.core import ConfigError


def train(
    prefs: Annotated[Path, typer.Argument(help="Preference pairs: JSONL prompt/chosen/rejected.")],
    base: Annotated[
        str, typer.Option("--base", help="'local' (the bundled SmolLM2) or a .gguf file.")
    ] = "local",
    out: Annotated[
        Path, typer.Option("--out", help="Folder for checkpoints/ and model.gguf.")
    ] = Path("dpo-out"),
    lora: Annotated[
        bool, typer.Option("--lora/--full", help="Train LoRA adapters (merged) or all weights.")
    ] = True,
    steps: Annotated[int, typer.Option("--steps", min=1, help="Optimizer steps.")] = 100,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Pairs per step.")] = 4,
    learning_rate: Annotated[float, typer.Option("--learning-rate", min=0.0)] = 5e-5,
    beta: Annotated[float, typer.Option("--beta", min=0.0, help="DPO's KL weight.")] = 0.1,
    save_steps: Annotated[
        int, typer.Option("--save-steps", min=1, help="Checkpoint every N steps.")
    ] = 25,
    gguf_type: Annotated[
        str, typer.Option("--gguf-type", help="q8_0, f16 or f32 for the written model.")
    ] = "q8_0",
    seed: Annotated[int, typer.Option("--seed")] = 0,
    no_progress: NoProgressOption = False,
    as_json: JsonOption = False,
) -> None:
    """Fine-tune with TRL's DPOTrainer on CPU and write OUT/model.gguf for the local target.

    Run again with the same --out to resume from the last checkpoint. Then measure:
    redline scan --target local --model-path OUT/model.gguf
    """
    # Checked before importing torch/TRL so a missing extra is one line and exit 2.
    from redline.alignment.dpo_base import require_train_extra

    require_train_extra()
    from redline.alignment.dpo_train import DpoSettings, train_dpo

    try:
        settings = DpoSettings(
            prefs=prefs,
            out=out,
            base=base,
            lora=lora,
            steps=steps,
            batch_size=batch_size,
            learning_rate=learning_rate,
            beta=beta,
            save_steps=save_steps,
            seed=seed,
            gguf_type=gguf_type,  # type: ignore[arg-type]
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        field = "--" + str(error["loc"][0]).replace("_", "-")
        raise ConfigError(f"{field}: {error['msg']}") from None
    result = train_dpo(settings, progress=not no_progress and not as_json)
    if as_json:
        typer.echo(result.model_dump_json())
        return
    resumed = f" (resumed from {result.resumed_from})" if result.resumed_from else ""
    typer.echo(
        f"{result.steps} steps on {result.pairs} pairs{resumed}, "
        f"{result.steps_per_second:.2f} steps/s; last: "
        + ", ".join(f"{k}={v:.4g}" for k, v in sorted(result.metrics.items()))
    )
    typer.echo(f"model: {result.gguf}")
    typer.echo(f"measure it: redline scan --target local --model-path {result.gguf}")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="DPO fine-tuning of a GGUF model, back to GGUF.", no_args_is_help=True)
    app.add_typer(group, name="dpo")
    group.command("train")(train)
