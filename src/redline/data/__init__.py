"""Behaviours to test with: the hazard taxonomy, built-in suites, prompts files
and loaders for public red-team datasets."""

from redline.data.capability import (
    capability_suite_of,
    load_gsm8k,
    load_ifeval,
    load_mmlu,
)
from redline.data.prompts_file import dataset_hash, default_prompt_id, load_prompts
from redline.data.public_formats import (
    DATASET_FORMATS,
    DatasetFormat,
    detect_format,
    load_dataset,
)
from redline.data.sources import load_behaviors
from redline.data.suites import (
    SUITES,
    SuiteDefinition,
    SuiteInfo,
    benign_type,
    list_suites,
    load_suite,
    suite_info,
)
from redline.data.taxonomy import (
    BENIGN,
    HAZARDS,
    UNCATEGORISED,
    Hazard,
    category_label,
    category_sort_key,
    hazard,
)

__all__ = [
    "BENIGN",
    "DATASET_FORMATS",
    "HAZARDS",
    "SUITES",
    "UNCATEGORISED",
    "DatasetFormat",
    "Hazard",
    "SuiteDefinition",
    "SuiteInfo",
    "benign_type",
    "capability_suite_of",
    "category_label",
    "category_sort_key",
    "dataset_hash",
    "default_prompt_id",
    "detect_format",
    "hazard",
    "list_suites",
    "load_behaviors",
    "load_dataset",
    "load_gsm8k",
    "load_ifeval",
    "load_mmlu",
    "load_prompts",
    "load_suite",
    "suite_info",
]
