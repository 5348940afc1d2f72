"""``formats``: every source format this installation reads, with its options, generated from the classes.

Built-ins and plugins are listed alike, from what each class declares (summary, remote, tabular,
its options model with types, defaults and descriptions), so this list, the README's table and what
a run accepts cannot disagree. Plugins that are not used are listed with the reason; they never
stop the built-ins, so the command still exits 0.
"""

from __future__ import annotations

import json
import sys
import types
import typing
from enum import Enum
from pathlib import Path

from pydantic_core import PydanticUndefined

from migrator.cli.common import EXIT_ERROR, EXIT_OK
from migrator.escape import console, console_strings, json_console
from migrator.sources import registry
from migrator.sources.base import Source

SCHEMA = "xpipe-migrate/formats"


def register(sub) -> None:
    p = sub.add_parser("formats", help="list the source formats (built-in and plugins) and their options")
    p.add_argument("names", nargs="*", metavar="FORMAT", help="only these formats (default: all)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format (default table)")
    p.set_defaults(func=run)


def run(args) -> int:
    reg = registry()
    usable = reg.usable()
    unknown = [n for n in args.names if n not in usable]
    if unknown:
        known = ", ".join(usable)
        for name in unknown:
            problem = reg.entries[name].problem if name in reg.entries else None
            why = problem or f"not a format this installation knows (known: {known})"
            print(f"xpipe-migrate: error: {console(name)}: {console(why)}", file=sys.stderr)
        return EXIT_ERROR
    chosen = [n for n in usable if not args.names or n in args.names]
    doc = {
        "schema": SCHEMA,
        "version": 1,
        "formats": [describe(name, usable[name], reg.entry(name).origin) for name in chosen],
        "problems": reg.problems(),
    }
    if args.format == "json":
        print(json_console(json.dumps(doc, indent=2, ensure_ascii=False)))
    else:
        sys.stdout.write(render(doc))
    return EXIT_OK


def describe(name: str, cls: type[Source], origin: str) -> dict:
    """One format as the ``formats`` document shows it."""
    help_text = cls.Options.option_help()
    options = []
    for field_name, field in cls.Options.model_fields.items():
        options.append(
            {
                "name": field_name,
                "type": type_text(field.annotation),
                "default": default_text(field),
                "help": help_text.get(field_name, ""),
            }
        )
    return {
        "name": name,
        "origin": origin,
        "summary": cls.summary,
        "location": "url" if cls.remote else "path",
        "tabular": cls.tabular,
        "detected": cls.detect.__func__ is not Source.detect.__func__ and not cls.remote,
        "options": options,
    }


def type_text(annotation) -> str:
    """A user's word for an option's type: ``text``, ``integer``, ``path``, ``true/false``, ``a|b``."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return type_text(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        parts = [type_text(a) for a in typing.get_args(annotation) if a is not type(None)]
        return " or ".join(dict.fromkeys(parts))
    if origin is typing.Literal:
        return "|".join(str(a) for a in typing.get_args(annotation))
    if origin in (tuple, list, set, frozenset):
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        return f"list of {type_text(args[0]) if args else 'text'} (comma-separated)"
    if isinstance(annotation, type):
        if issubclass(annotation, bool):
            return "true/false"
        if issubclass(annotation, int):
            return "integer"
        if issubclass(annotation, float):
            return "number"
        if issubclass(annotation, Path):
            return "path"
        if issubclass(annotation, Enum):
            return "|".join(str(m.value) for m in annotation)
        if issubclass(annotation, str):
            return "text"
    return "text"


def default_text(field) -> str:
    default = field.default
    if default is PydanticUndefined:
        default = field.default_factory() if field.default_factory is not None else None
    if default is None:
        return "none"
    if isinstance(default, bool):
        return "true" if default else "false"
    if isinstance(default, (tuple, list, set, frozenset)):
        return ",".join(str(v) for v in default) or "none"
    if isinstance(default, Enum):
        return str(default.value)
    return str(default)


def render(doc: dict) -> str:
    doc = console_strings(doc)  # a plugin's texts are shown, never allowed to drive the terminal
    lines = []
    for fmt in doc["formats"]:
        how = "FORMAT:URL" if fmt["location"] == "url" else "FORMAT:PATH" + (", detected" if fmt["detected"] else "")
        lines.append(f"{fmt['name']}  ({fmt['origin']}; {how})")
        lines.append(f"    {fmt['summary']}")
        width = max((len(o["name"]) for o in fmt["options"]), default=0)
        for opt in fmt["options"]:
            text = f"{opt['type']}, default {opt['default']}"
            lines.append(f"    {opt['name']:<{width}}  {text}" + (f": {opt['help']}" if opt["help"] else ""))
        lines.append("")
    for problem in doc["problems"]:
        lines.append(f"not used: {problem}")
    return "\n".join(lines).rstrip("\n") + "\n"
