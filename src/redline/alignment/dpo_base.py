"""What DPO training needs before it imports anything heavy: the ``[train]`` extra
(checked, with the install command when missing) and the base GGUF file."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from redline.core import ConfigError
from redline.targets.local_llama import bundled_model_path

# What `redline[train]` brings, by import name.
TRAIN_MODULES = ("torch", "transformers", "trl", "peft", "gguf", "datasets")
TRAIN_INSTALL = "pip install torch==2.13.0 && pip install 'redline[train]'"


def require_train_extra() -> None:
    """ConfigError (exit 2) with the install command when a training package is missing."""
    missing = [name for name in TRAIN_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigError(
            f"DPO training needs {', '.join(missing)} (the train extra); install with: "
            f"{TRAIN_INSTALL}"
        )


def base_gguf(base: str) -> Path:
    """The GGUF file ``--base`` names: ``local`` (the bundled model) or a path."""
    if base == "local":
        return bundled_model_path()
    path = Path(base.removeprefix("local:")).expanduser()
    if path.suffix != ".gguf" or not path.is_file():
        raise ConfigError(f"--base: expected 'local' or an existing .gguf file, got {base!r}")
    return path


def default_cache_dir() -> Path:
    """Where converted base models are kept: ``~/.cache/redline/hf-from-gguf``."""
    return Path.home() / ".cache" / "redline" / "hf-from-gguf"
