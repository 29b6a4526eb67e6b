"""Trained classifier artifacts for the guard, with their training code and data cards.

``load_classifier(name)`` returns a new ``TextClassifier`` for a shipped model:
``harm`` (combined ``harmful`` head plus hazard-category heads), ``jailbreak`` and
``injection``. ``redline train guard`` rebuilds them; see docs/guard-models.md.
"""

from redline.classifiers.classifier import (
    SHIPPED_MODELS,
    TextClassifier,
    artifacts_dir,
    load_classifier,
)
from redline.classifiers.features import FeatureConfig, TextFeaturizer

__all__ = [
    "SHIPPED_MODELS",
    "FeatureConfig",
    "TextClassifier",
    "TextFeaturizer",
    "artifacts_dir",
    "load_classifier",
]
