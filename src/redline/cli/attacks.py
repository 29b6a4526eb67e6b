"""`redline attacks list|show|convert`: the attack library."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from redline.attacks import ATTACKS, FAMILIES
from redline.attacks.compose import build_chain
from redline.cli.options import JsonOption
from redline.core import ConfigError
from redline.store import ImageStore

EXAMPLE_PROMPT = "Explain how to bake a loaf of sourdough bread."

attacks_app = typer.Typer(
    help="The attack library: converters, templates, best-of-N, injection, multi-turn.",
    no_args_is_help=True,
)


def attack_info(name: str) -> dict[str, Any]:
    """Name, family, description, references and parameter schema of an attack."""
    cls = ATTACKS.get(name)
    params_model = getattr(cls, "Params", None)
    parameters = {}
    if params_model is not None:
        for field_name, field in params_model.model_fields.items():
            parameters[field_name] = {
                "type": getattr(field.annotation, "__name__", str(field.annotation)),
                "default": None
                if field.is_required()
                else field.get_default(call_default_factory=True),
                "required": field.is_required(),
                "description": field.description or "",
            }
    return {
        "name": name,
        "family": getattr(cls, "family", "?"),
        "description": getattr(cls, "description", ""),
        "references": list(getattr(cls, "references", ())),
        "parameters": parameters,
    }


@attacks_app.command("list")
def list_attacks(
    family: Annotated[
        str | None, typer.Option("--family", "-f", help=f"Only this family: {', '.join(FAMILIES)}.")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """List attacks with their family, description and references."""
    if family is not None and family not in FAMILIES:
        raise ConfigError(f"--family {family!r}: unknown family; known: {', '.join(FAMILIES)}")
    infos = [attack_info(name) for name in ATTACKS.names()]
    if family is not None:
        infos = [info for info in infos if info["family"] == family]
    if json_output:
        typer.echo(json.dumps({"attacks": infos, "count": len(infos)}))
        return
    table = Table(title=f"{len(infos)} attacks")
    for column in ("name", "family", "description", "references"):
        table.add_column(column, overflow="fold")
    for info in infos:
        table.add_row(
            info["name"], info["family"], info["description"], "; ".join(info["references"])
        )
    Console(width=max(120, Console().width)).print(table)


def _example(name: str, prompt: str, seed: int) -> dict[str, Any] | None:
    """An example conversion of a harmless prompt, or None for non-converters."""
    try:
        chain = build_chain(name, where=name)
    except ConfigError as exc:
        return {"error": str(exc)}
    if chain.driver_attack is not None or chain.needs_attacker:
        return None
    converted = chain.apply(
        prompt, rng=chain.rng_for(seed=seed, behavior_id="example", epoch=0, sample=0)
    )
    return {
        "prompt": prompt,
        "messages": [m.model_dump(exclude_none=True) for m in converted.to_messages()],
        "params": converted.params,
    }


@attacks_app.command("show")
def show_attack(
    name: Annotated[str, typer.Argument(help="Attack name, or a chain like base64+rot13.")],
    prompt: Annotated[str, typer.Option(help="The harmless prompt to convert.")] = EXAMPLE_PROMPT,
    seed: Annotated[int, typer.Option(help="Seed of the example conversion.")] = 0,
    json_output: JsonOption = False,
) -> None:
    """Show an attack's parameters and an example conversion of a harmless prompt."""
    names = [part.strip() for part in name.split("+")]
    infos = []
    for part in names:
        if part not in ATTACKS:
            raise ConfigError(ATTACKS.unknown_message(part))
        infos.append(attack_info(part))
    example = _example(name, prompt, seed)
    if json_output:
        typer.echo(json.dumps({"attacks": infos, "example": example}, ensure_ascii=False))
        return
    console = Console(width=max(100, Console().width))
    for info in infos:
        console.print(f"[bold]{info['name']}[/bold]  ({info['family']})")
        console.print(info["description"])
        for reference in info["references"]:
            console.print(f"  ref: {reference}")
        if info["parameters"]:
            table = Table("parameter", "type", "default", "description")
            for key, spec in info["parameters"].items():
                default = "(required)" if spec["required"] else repr(spec["default"])
                table.add_row(key, spec["type"], default, spec["description"])
            console.print(table)
        else:
            console.print("  no parameters")
    if example is None:
        console.print("\nexample: (drives a conversation with a model; run it in a scan)")
    elif "error" in example:
        console.print(f"\nexample: needs parameters: {example['error']}")
    else:
        console.print(f"\nexample, prompt: {prompt!r}")
        for message in example["messages"]:
            console.print(f"[bold]{message['role']}[/bold]: ", end="")
            console.print(message.get("content", ""), markup=False, highlight=False)
        if any(example["params"].get("chosen", [])):
            console.print(f"choices: {json.dumps(example['params'], ensure_ascii=False)}")


@attacks_app.command("convert")
def convert(
    chain: Annotated[str, typer.Argument(help="Attack chain, e.g. base64+roleplay.fiction.")],
    prompt: Annotated[str, typer.Argument(help="The prompt to convert.")],
    seed: Annotated[int, typer.Option(help="Seed of the conversion.")] = 0,
    json_output: JsonOption = False,
    image_dir: Annotated[
        Path | None,
        typer.Option("--image-dir", help="Write the images an image converter drew here."),
    ] = None,
) -> None:
    """Convert a prompt with a chain of converters and print what would be sent."""
    built = build_chain(chain, where=chain)
    if built.driver_attack is not None or built.needs_attacker:
        raise ConfigError(f"{chain}: calls a model; run it with `redline scan --attacks {chain}`")
    rng = built.rng_for(seed=seed, behavior_id="cli", epoch=0, sample=0)
    converted = built.apply(prompt, rng=rng)
    sent = converted.to_messages()
    if image_dir is not None:
        ImageStore(image_dir).put_messages(sent)
    messages = [m.model_dump(exclude_none=True) for m in sent]
    if json_output:
        typer.echo(
            json.dumps(
                {"chain": built.label, "messages": messages, "params": converted.params},
                ensure_ascii=False,
            )
        )
        return
    for message in sent:
        typer.echo(f"[{message.role}] {message.content}")
        for image in message.images or ():
            where = f" -> {ImageStore(image_dir).path_for(image)}" if image_dir else ""
            typer.echo(f"[image] {image.width}x{image.height} {image.sha256[:12]}{where}")


def register(app: typer.Typer) -> None:
    app.add_typer(attacks_app, name="attacks")
