"""Plugin parameters: every plugin kind (target, scorer, scanner, attack) takes a
frozen pydantic model, validated one way with errors that name the field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from redline.core.errors import ConfigError


class PluginParams(BaseModel):
    """Base of every plugin's ``Params`` model: frozen, unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


P = TypeVar("P", bound=BaseModel)


def validate_params(
    model: type[P], params: Mapping[str, Any] | None, *, what: str, where: str = ""
) -> P:
    """``model`` validated from ``params``, or a ConfigError like
    ``FILE:LINE: scorer 'regex' parameters: pattern: field required``."""
    try:
        return model.model_validate(dict(params or {}))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'params'}: {err['msg']}"
            for err in exc.errors()
        )
        prefix = f"{where}: " if where else ""
        raise ConfigError(f"{prefix}{what} parameters: {problems}") from None
