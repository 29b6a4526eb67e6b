"""Types of the public API (the module loads each name on first use)."""

from redline.analysis import RunSummary as RunSummary
from redline.analysis import compare_runs as compare_runs
from redline.analysis import evaluate_gates as evaluate_gates
from redline.analysis import summarize_run as summarize_run
from redline.attacks import build_attack as build_attack
from redline.core import (
    Attempt as Attempt,
)
from redline.core import (
    Behavior as Behavior,
)
from redline.core import (
    ConfigError as ConfigError,
)
from redline.core import (
    GenerationParams as GenerationParams,
)
from redline.core import (
    Message as Message,
)
from redline.core import (
    RedlineError as RedlineError,
)
from redline.core import (
    Score as Score,
)
from redline.data import load_dataset as load_dataset
from redline.data import load_suite as load_suite
from redline.guard import Guard as Guard
from redline.run import Campaign as Campaign
from redline.run import load_campaign as load_campaign
from redline.run import run_campaign as run_campaign
from redline.scoring import build_scorer as build_scorer
from redline.store import RunStore as RunStore
from redline.targets import TargetSpec as TargetSpec
from redline.targets import build_target as build_target

__version__: str
__all__: list[str]
