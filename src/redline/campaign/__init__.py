"""Campaigns: a validated description of a scan, and the code that runs it."""

from pathlib import Path

from redline.campaign.config import Campaign
from redline.campaign.runner import (
    CampaignResult,
    build_jobs,
    collect_behaviors,
    dry_run,
    run_campaign,
    run_campaign_sync,
    stored_campaign,
)
from redline.campaign.yaml_source import load_yaml_model


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
    "load_yaml_model",
    "run_campaign",
    "run_campaign_sync",
    "stored_campaign",
]
