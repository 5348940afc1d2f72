"""Column-mapping profiles: which columns of a CSV file or spreadsheet become which host fields.

A profile is a TOML file (data, not code) in the repository's ``mappings/`` folder, which ships
inside the package and is found through ``migrator.data`` (a wheel, a zipped install, an editable
install or a checkout alike). The environment variable ``XPIPE_MIGRATE_MAPPINGS`` names another folder.
``--mapping`` takes a profile name (``mremoteng``) or a path to a ``.toml`` file.

The profile schema is documented in ``mappings/README.md`` (the user's reference).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from migrator.data import MAPPINGS, bundled
from migrator.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

ENV_MAPPINGS = "XPIPE_MIGRATE_MAPPINGS"

#: The host fields a profile can fill, and what kind of value each holds.
FIELDS: dict[str, str] = {
    "id": "text",
    "name": "text",
    "host": "text",
    "port": "port",
    "user": "text",
    "password": "secret",
    "key_file": "list",
    "key_passphrase": "secret",
    "folder": "list",
    "jump": "list",
    "tags": "list",
    "description": "text",
    "identity": "text",
    "password_ref": "text",
    "agent": "text",
    "protocol": "text",
    "enabled": "bool",
    "parent": "text",
    "node_type": "text",
}

SECRET_FIELDS = frozenset(f for f, kind in FIELDS.items() if kind == "secret")

#: Score at or above which a profile is taken without asking; below it a file is not imported
#: without ``--mapping`` (the ``mapping check`` preview shows what the best guess would read).
CONFIDENT_SCORE = 0.5
#: Fields that can take several columns at once (``join = true``).
JOINABLE = frozenset({*(f for f, kind in FIELDS.items() if kind == "list"), "description"})
#: Two profiles closer than this (both confident) are ambiguous.
AMBIGUITY_MARGIN = 0.1

_FIELD_KEYS = {
    "columns",
    "default",
    "value",
    "required",
    "fallback",
    "separators",
    "join",
    "joiner",
    "template",
    "map",
    "unmapped",
    "accept",
    "warn",
    "split",
    "regex",
    "regex_from",
    "prefix",
}
_NORMALISE = re.compile(r"[\s_\-]+")


def normalise_header(text: str) -> str:
    """Compare headers ignoring case, spaces, underscores and hyphens (``Key File`` = ``key_file``)."""
    return _NORMALISE.sub("", text.replace("\ufeff", "")).casefold()


def normalise_value(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class FieldSpec:
    name: str
    columns: tuple[str, ...] = ()
    default: str | None = None
    value: str | None = None
    required: bool = False
    fallback: str | None = None
    separators: tuple[str, ...] | None = None
    join: bool = False
    joiner: str = "\n"
    template: str | None = None
    value_map: dict[str, str] = field(default_factory=dict)
    unmapped: str = "keep"
    accept: tuple[str, ...] = ()
    warn: dict[str, str] = field(default_factory=dict)
    split: bool = False
    regex: re.Pattern | None = None
    regex_from: str | None = None
    prefix: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return FIELDS[self.name]

    @property
    def aliases(self) -> tuple[str, ...]:
        return tuple(normalise_header(c) for c in self.columns)


@dataclass(frozen=True)
class ColumnCheck:
    column: str
    unless: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    origin: str
    fields: dict[str, FieldSpec]
    signature: tuple[str, ...]
    known: frozenset[str] = frozenset()
    delimiter: str | None = None
    quoting: str = "minimal"
    tree_containers: tuple[str, ...] | None = None
    checks: tuple[ColumnCheck, ...] = ()
    path: Path | None = None

    def spec(self, name: str) -> FieldSpec | None:
        return self.fields.get(name)


@dataclass
class HeaderMatch:
    """How one header row lines up with one profile."""

    profile: Profile
    header: list[str]
    #: header cells as shown to the user (``protocol=SSH2`` shows as ``protocol``)
    names: list[str]
    columns: dict[str, list[int]]
    header_defaults: dict[str, str]
    unused: list[int]
    missing_required: list[str]
    duplicates: dict[str, list[int]]
    score: float

    def column_field(self) -> dict[int, str]:
        out = {}
        for fname, idxs in self.columns.items():
            for i in idxs:
                out[i] = fname
        return out

    def shared_fields(self) -> dict[str, list[int]]:
        """Fields fed by two or more differently named columns without ``join``: only one would be read."""
        out = {}
        for fname, idxs in self.columns.items():
            spec = self.profile.fields.get(fname)
            if spec is not None and not spec.join and len({normalise_header(self.names[i]) for i in idxs}) > 1:
                out[fname] = idxs
        return out

    def secret_columns(self) -> set[int]:
        return {i for f in SECRET_FIELDS for i in self.columns.get(f, [])}


# -- locating and loading ---------------------------------------------------------------------------


def mappings_dir() -> Traversable:
    """The folder profiles are looked up in by name: ``XPIPE_MIGRATE_MAPPINGS``, else the bundled one."""
    override = os.environ.get(ENV_MAPPINGS)
    if override:
        return Path(override)
    return bundled(MAPPINGS)


def profile_names() -> list[str]:
    folder = mappings_dir()
    if not folder.is_dir():
        return []
    return sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml") and p.is_file())


def load_profile(name_or_path: str | Path) -> Profile:
    """A profile by name (``mremoteng``) or by path to a ``.toml`` file."""
    text = str(name_or_path)
    candidate = Path(text)
    if candidate.suffix.lower() == ".toml" or os.sep in text or "/" in text:
        return _read_profile(candidate, candidate.stem)
    found = mappings_dir() / f"{text}.toml"
    if not found.is_file():
        known = ", ".join(profile_names()) or "none found"
        raise ConfigError(f"unknown mapping profile {text!r} (profiles in {mappings_dir()}: {known})")
    return _read_profile(found, text)


def _read_profile(source: Traversable, name: str) -> Profile:
    path = Path(str(source))
    try:
        raw = source.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read mapping profile: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not a valid TOML mapping profile: {exc}") from None
    return parse_profile(data, name=name, path=path)


def all_profiles() -> list[Profile]:
    folder = mappings_dir()
    return [_read_profile(folder / f"{n}.toml", n) for n in profile_names()]


def _str_list(value, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a string or a list of strings")
    return tuple(value)


def _str_map(value, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ConfigError(f"{where}: expected a table of strings")
    return {normalise_value(k): v for k, v in value.items()}


#: The keys each section of a profile may hold; anything else is a typo, reported by name.
_SECTION_KEYS = {
    "profile": {"title", "origin", "delimiter", "quoting"},
    "detect": {"headers", "known"},
    "tree": {"container"},
    "checks": {"column", "unless", "message"},
}


def _table(value, where: str, keys: set[str]) -> dict:
    """A TOML table with only ``keys``; a value of another type or an unknown key is a ConfigError."""
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: must be a table")
    unknown = sorted(str(k) for k in set(value) - keys)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(keys))})")
    return value


def _text(value, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: must be a string")
    return value


def parse_profile(data: dict, *, name: str, path: Path | None = None) -> Profile:
    where = str(path or name)
    meta = _table(data.get("profile", {}), f"{where}: [profile]", _SECTION_KEYS["profile"])
    unknown_top = set(data) - {"profile", "detect", "fields", "tree", "checks"}
    if unknown_top:
        raise ConfigError(f"{where}: unknown section(s) {', '.join(sorted(unknown_top))}")
    fields_raw = data.get("fields", {})
    if not isinstance(fields_raw, dict) or not fields_raw:
        raise ConfigError(f"{where}: [fields] must list at least the host field")
    specs: dict[str, FieldSpec] = {}
    for fname, raw in fields_raw.items():
        specs[fname] = _parse_field(fname, raw, f"{where}: [fields.{fname}]")
    if "host" not in specs:
        raise ConfigError(f"{where}: the profile does not map the host field")
    specs["host"] = replace(specs["host"], required=True)
    for spec in specs.values():
        if spec.fallback and spec.fallback not in specs:
            raise ConfigError(f"{where}: [fields.{spec.name}] falls back to unmapped field {spec.fallback!r}")
        if spec.regex_from and spec.regex_from not in FIELDS:
            raise ConfigError(f"{where}: [fields.{spec.name}] regex_from names unknown field")
    detect = _table(data.get("detect", {}), f"{where}: [detect]", _SECTION_KEYS["detect"])
    signature = tuple(normalise_header(h) for h in _str_list(detect.get("headers", []), f"{where}: [detect]"))
    if not signature:
        raise ConfigError(f"{where}: [detect] headers must name the columns typical of this export")
    known = frozenset(normalise_header(h) for h in _str_list(detect.get("known", []), f"{where}: [detect]"))
    tree = data.get("tree")
    if tree is not None:
        tree = _table(tree, f"{where}: [tree]", _SECTION_KEYS["tree"])
    containers = None
    if tree is not None:
        if not {"id", "parent", "node_type"} <= set(specs):
            raise ConfigError(f"{where}: [tree] needs the id, parent and node_type fields mapped")
        names = _str_list(tree.get("container", []), f"{where}: [tree]")
        containers = tuple(normalise_value(v) for v in names)
    checks = []
    raw_checks = data.get("checks", [])
    if not isinstance(raw_checks, list):
        raise ConfigError(f"{where}: checks must be an array of tables ([[checks]])")
    for i, chk in enumerate(raw_checks):
        cw = f"{where}: [[checks]] #{i + 1}"
        chk = _table(chk, cw, _SECTION_KEYS["checks"])
        if not isinstance(chk.get("column"), str) or not isinstance(chk.get("message"), str) or not chk["message"]:
            raise ConfigError(f"{cw}: needs column and message (strings)")
        checks.append(
            ColumnCheck(
                column=normalise_header(chk["column"]),
                unless=tuple(normalise_value(v) for v in _str_list(chk.get("unless", []), cw)),
                message=chk["message"],
            )
        )
    quoting = meta.get("quoting", "minimal")
    if not isinstance(quoting, str) or quoting not in ("minimal", "none"):
        raise ConfigError(f"{where}: [profile] quoting must be 'minimal' or 'none'")
    delimiter = meta.get("delimiter")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise ConfigError(f"{where}: [profile] delimiter must be one character")
    return Profile(
        name=name,
        title=_text(meta.get("title", name), f"{where}: [profile] title"),
        origin=_text(meta.get("origin", ""), f"{where}: [profile] origin").strip(),
        fields=specs,
        signature=signature,
        known=known,
        delimiter=delimiter,
        quoting=quoting,
        tree_containers=containers,
        checks=tuple(checks),
        path=path,
    )


def _parse_field(fname: str, raw, where: str) -> FieldSpec:
    if fname not in FIELDS:
        raise ConfigError(f"{where}: unknown field (known: {', '.join(FIELDS)})")
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table")
    unknown = set(raw) - _FIELD_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    kw: dict = {"name": fname}
    if "columns" in raw:
        kw["columns"] = _str_list(raw["columns"], where)
    for key in ("default", "value", "joiner", "template", "fallback", "regex_from"):
        if key in raw:
            if not isinstance(raw[key], str | int):
                raise ConfigError(f"{where}: {key} must be a string")
            kw[key] = str(raw[key])
    for key in ("required", "join", "split"):
        if key in raw:
            if not isinstance(raw[key], bool):
                raise ConfigError(f"{where}: {key} must be true or false")
            kw[key] = raw[key]
    if kw.get("join") and fname not in JOINABLE:
        raise ConfigError(f"{where}: join only applies to {', '.join(sorted(JOINABLE))}")
    if "separators" in raw:
        kw["separators"] = tuple(s for s in _str_list(raw["separators"], where) if s)
    if "map" in raw:
        kw["value_map"] = _str_map(raw["map"], where)
    if "warn" in raw:
        kw["warn"] = _str_map(raw["warn"], where)
    if "unmapped" in raw:
        if raw["unmapped"] not in ("keep", "skip", "error"):
            raise ConfigError(f"{where}: unmapped must be keep, skip or error")
        kw["unmapped"] = raw["unmapped"]
    if "accept" in raw:
        kw["accept"] = tuple(normalise_value(v) for v in _str_list(raw["accept"], where))
    if "prefix" in raw:
        kw["prefix"] = tuple(p for p in re.split(r"[/\\]", str(raw["prefix"])) if p.strip())
    if "regex" in raw:
        try:
            kw["regex"] = re.compile(str(raw["regex"]))
        except re.error as exc:
            raise ConfigError(f"{where}: regex does not compile: {exc}") from None
        if "regex_from" not in raw:
            raise ConfigError(f"{where}: regex needs regex_from (the field it reads)")
    if "template" in kw:
        try:
            kw["template"].format(column="", value="")
        except (KeyError, IndexError, ValueError):
            raise ConfigError(f"{where}: template may only use {{column}} and {{value}}") from None
        if "{value}" not in kw["template"]:
            raise ConfigError(f"{where}: template must contain {{value}}")
    if "columns" not in kw and "value" not in kw and "regex" not in kw and "default" not in kw:
        raise ConfigError(f"{where}: give columns, a fixed value, a default or a regex")
    return FieldSpec(**kw)


# -- matching headers -------------------------------------------------------------------------------

_HEADER_DEFAULT = re.compile(r"^\s*([^=]+?)\s*=\s*(.*?)\s*$")


def match_header(profile: Profile, header: list[str]) -> HeaderMatch:
    """Line up ``header`` with ``profile``: which column feeds which field, and how well it fits.

    A header cell ``protocol=SSH2`` (SecureCRT's import-script convention) names the column
    ``protocol`` with the default ``SSH2`` for blank cells.
    """
    norm: list[str] = []
    names: list[str] = []
    header_defaults: dict[int, str] = {}
    for i, cell in enumerate(header):
        text = (cell or "").strip()
        m = _HEADER_DEFAULT.match(text)
        if m and any(normalise_header(m.group(1)) in s.aliases for s in profile.fields.values()):
            header_defaults[i] = m.group(2)
            text = m.group(1)
        names.append(text)
        norm.append(normalise_header(text))
    positions: dict[str, list[int]] = {}
    for i, n in enumerate(norm):
        if n:
            positions.setdefault(n, []).append(i)
    duplicates = {names[idx[0]] or n: idx for n, idx in positions.items() if len(idx) > 1}

    claimed: set[int] = set()
    columns: dict[str, list[int]] = {}
    for spec in profile.fields.values():
        idxs: list[int] = []
        for alias in spec.aliases:
            for i in positions.get(alias, []):
                if i not in claimed and i not in idxs:
                    idxs.append(i)
        if idxs:
            columns[spec.name] = idxs
            claimed.update(idxs)
    defaults = {}
    for fname, idxs in columns.items():
        for i in idxs:
            if i in header_defaults:
                defaults[fname] = header_defaults[i]
    missing = [
        s.name
        for s in profile.fields.values()
        if s.required
        and s.name not in columns
        and s.value is None
        and s.default is None
        and s.name not in defaults
        and not (s.fallback and s.fallback in columns)
    ]
    used = [i for i, n in enumerate(norm) if n]
    unused = [i for i in used if i not in claimed]
    hits = sum(1 for s in profile.signature if s in positions)
    recognised = sum(1 for i in used if i in claimed or norm[i] in profile.known)
    coverage = recognised / len(used) if used else 0.0
    score = 0.0 if missing else 0.5 * hits / len(profile.signature) + 0.5 * coverage
    return HeaderMatch(
        profile=profile,
        header=list(header),
        names=names,
        columns=columns,
        header_defaults=defaults,
        unused=unused,
        missing_required=missing,
        duplicates=duplicates,
        score=round(score, 4),
    )


@dataclass
class Detection:
    """The outcome of choosing a profile for one header row."""

    match: HeaderMatch | None
    ranking: list[HeaderMatch]
    forced: bool = False

    @property
    def confident(self) -> bool:
        return self.match is not None and (self.forced or self.match.score >= CONFIDENT_SCORE)


def rank_profiles(header: list[str], profiles: list[Profile]) -> list[HeaderMatch]:
    matches = [match_header(p, header) for p in profiles]
    return sorted(matches, key=lambda m: (-m.score, m.profile.name))


def ambiguous(ranking: list[HeaderMatch]) -> bool:
    """Two profiles fit about equally well and would read the columns differently."""
    if len(ranking) < 2:
        return False
    first, second = ranking[0], ranking[1]
    return (
        second.score >= CONFIDENT_SCORE
        and first.score - second.score < AMBIGUITY_MARGIN
        and first.column_field() != second.column_field()
    )
