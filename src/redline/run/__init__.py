"""Running prompts through targets: the plan (the only place attempt ids are made), the
run loop (target + engine + scoring + recording, used by every kind of run), the
campaign runner (open or resume a run, send, finish) and the campaign description
that ``redline scan`` and campaign YAML files validate into."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from redline.core.config_files import load_yaml_model
from redline.core.lazy_names import lazy_getattr
from redline.run.campaign import Campaign
from redline.run.loop import (
    EngineSettings,
    MemoryRecorder,
    RunLoop,
    finish_run,
    response_cache_path,
    send_into_run,
)
from redline.run.plan import plan_job
from redline.run.runner import (
    collect_behaviors,
    dry_run,
    run_campaign,
    run_campaign_sync,
    stored_campaign,
)

if TYPE_CHECKING:
    from redline.run.result import CampaignResult

# Loaded on first use (PEP 562): its summary field imports the analysis, which a
# scan imports only after its first request.
__getattr__ = lazy_getattr("redline.run", {"CampaignResult": "redline.run.result"}, globals())


def load_campaign(path: Path) -> Campaign:
    """Read and validate a campaign YAML file (errors name file, line and field)."""
    return load_yaml_model(path, Campaign)


__all__ = [
    "Campaign",
    "CampaignResult",
    "EngineSettings",
    "MemoryRecorder",
    "RunLoop",
    "collect_behaviors",
    "dry_run",
    "finish_run",
    "load_campaign",
    "plan_job",
    "response_cache_path",
    "run_campaign",
    "run_campaign_sync",
    "send_into_run",
    "stored_campaign",
]
