"""Running prompts through targets: the plan (the only place attempt ids are made), the
runner (open or resume a run, send through the engine, record, score, finish) and the
campaign description that ``redline scan`` and campaign YAML files validate into."""

from pathlib import Path

from redline.core.config_files import load_yaml_model
from redline.run.campaign import Campaign
from redline.run.runner import (
    CampaignResult,
    build_jobs,
    collect_behaviors,
    dry_run,
    run_campaign,
    run_campaign_sync,
    stored_campaign,
)


def load_campaign(path: Path) -> Campaign:
    """Read and validate a campaign YAML file (errors name file, line and field)."""
    return load_yaml_model(path, Campaign)


__all__ = [
    "Campaign",
    "CampaignResult",
    "build_jobs",
    "collect_behaviors",
    "dry_run",
    "load_campaign",
    "run_campaign",
    "run_campaign_sync",
    "stored_campaign",
]
