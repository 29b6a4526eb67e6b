"""redline: a workbench for LLM safety engineering."""

__version__ = "0.1.0"
