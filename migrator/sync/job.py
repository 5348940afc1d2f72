"""Job files: one TOML file that says what ``xpipe-migrate sync`` reads, where it writes and how.

A job names its sources (with format, mapping and filters), the XPipe target, the import policy,
the prune policy and the report outputs. Every key is checked: an unknown key or a value of the
wrong type is an error naming the key in TOML terms (``[prune] unknown key 'max_precent'``), and all
problems are listed at once so a user fixes the file in one go. Paths in the file are relative to
the job file's folder, so a job and its inputs can move together; they are resolved on load.

The API key itself never lives in a job file (files get committed and shared): the job names a
file or an environment variable that holds it.
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from migrator.errors import ConfigError
from migrator.plan.model import PruneOptions
from migrator.sources import detect_format, formats_where
from migrator.sync.filters import _check_globs, folder_glob_regex
from migrator.sync.job_sections import (
    _NAME,
    _RESERVED_OPTIONS,
    EMBEDDED,
    ImportSettings,
    JobPath,
    PruneSettings,
    Reports,
    StatePath,
    Target,
    _is_path_field,
    _is_remote,
    _job_dir,
    _known_format,
    _only_for,
    _resolve,
    _Section,
    format_list,
    option_takers,
)
from migrator.userpath import expand_home

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]


class SourceFilter(_Section):
    """Which hosts of a source to keep. Every list left empty keeps everything on that criterion."""

    include_folders: list[str] = Field(default_factory=list)
    exclude_folders: list[str] = Field(default_factory=list)
    include_tags: list[str] = Field(default_factory=list)
    exclude_tags: list[str] = Field(default_factory=list)
    include_names: list[str] = Field(default_factory=list)
    exclude_names: list[str] = Field(default_factory=list)

    @field_validator("include_folders", "exclude_folders")
    @classmethod
    def _folder_globs(cls, v: list[str]) -> list[str]:
        return _check_globs(v, folder_glob_regex)

    @field_validator("include_names", "exclude_names")
    @classmethod
    def _name_globs(cls, v: list[str]) -> list[str]:
        return _check_globs(v, lambda p: re.compile(fnmatch.translate(p)))

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in type(self).model_fields)


class SourceSpec(_Section):
    """One ``[[source]]`` table: ``path`` for a file format, ``url`` for a format read from a service (xo)."""

    format: Annotated[str, AfterValidator(_known_format)] | None = None
    url: str | None = None
    path: JobPath | None = Field(default=None, validate_default=True)
    mapping: str | None = None
    sheet: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    filter: SourceFilter = Field(default_factory=SourceFilter)

    _label: str = PrivateAttr(default="[[source]]")

    @field_validator("path")
    @classmethod
    def _path_required(cls, v: Path | None, info: ValidationInfo) -> Path | None:
        if v is None and info.data.get("url") is None and not _is_remote(info.data.get("format")):
            raise PydanticCustomError("missing", "Field required")
        return v

    @model_validator(mode="after")
    def _location_and_options(self) -> SourceSpec:
        remote = _is_remote(self.format)
        if remote and (self.url is None or self.path is not None):
            raise ValueError(f'format = "{self.format}" reads a URL: give url = "https://..." and no path')
        if not remote and self.url is not None:
            takers = ", ".join(formats_where(lambda cls: cls.remote))
            raise ValueError(f"url is only for {takers} sources; a file source takes path")
        if self.format is not None:
            from migrator.sources import source_class

            try:
                cls = source_class(self.format)
                if self.url is not None:
                    cls.check_location(self.url)
                cls.parse_options(self._raw_options(self.format), "options")
            except ConfigError as exc:
                raise ValueError(str(exc).replace("\n", "; ")) from None
        return self

    @field_validator("mapping")
    @classmethod
    def _mapping(cls, v: str, info: ValidationInfo) -> str:
        _only_for(info.data.get("format"), "mapping", "a mapping")
        if not v.strip():
            raise ValueError("must not be empty; leave the key out to detect the mapping")
        if Path(v).suffix.lower() == ".toml" or "/" in v or os.sep in v:
            return str(_resolve(Path(v), info))
        return v

    @field_validator("sheet")
    @classmethod
    def _sheet(cls, v: str, info: ValidationInfo) -> str:
        _only_for(info.data.get("format"), "sheet", "a sheet")
        return v

    @field_validator("options")
    @classmethod
    def _options(cls, v: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        for key in v:
            if key in _RESERVED_OPTIONS:
                raise ValueError(
                    f"{key!r} is a key of [[source]] itself: write "
                    f"{_RESERVED_OPTIONS[key]} = ... next to path, not inside options"
                )
        fmt = info.data.get("format")
        if fmt is None:
            return v
        # Options that are paths (an option model field typed Path) are relative to the job file too.
        from migrator.sources import source_class

        fields = source_class(fmt).Options.model_fields
        out = dict(v)
        for key, value in v.items():
            if key in fields and _is_path_field(fields[key]) and isinstance(value, str) and value.strip():
                out[key] = str(_resolve(Path(value), info))
        return out

    @property
    def label(self) -> str:
        """Where this source is in the job file, e.g. ``job.toml: [[source]] #2``."""
        return self._label

    @property
    def location(self) -> str:
        """The file path or the URL, as shown in messages."""
        return self.url if self.url is not None else self.path.as_posix()

    def _raw_options(self, fmt: str) -> dict[str, Any]:
        opts = dict(self.options)
        for key, value in (("mapping", self.mapping), ("sheet", self.sheet)):
            if value is None:
                continue
            takers = option_takers(key)
            if fmt not in takers:
                raise ConfigError(
                    f"{self.label} {key}: only {format_list(takers)} sources take {key!r}, "
                    f"but {self.location} was detected as {fmt!r}"
                )
            opts[key] = value
        return opts

    def to_input(self, key_base: Path | None = None):
        """The source as the manager reads it; checks mapping/sheet against a detected format.

        With ``key_base`` the hosts' source keys name the file relative to it (the job's folder), so
        moving the whole job folder does not make every host look new to the ledger.
        """
        from migrator.manager import SourceInput

        fmt = self.format or detect_format(self.path)
        key_location = None
        if key_base is not None and self.path is not None:
            try:
                key_location = self.path.relative_to(key_base).as_posix()
            except ValueError:
                key_location = self.path.as_posix()
        return SourceInput(
            self.location,
            fmt,
            self._raw_options(fmt),
            where=self.label,
            key_location=key_location,
            filter=None if self.filter.is_empty else self.filter,
        )


class Job(_Section):
    """A whole job file. Build it with ``load_job`` (or ``parse_job``) so paths resolve against its folder."""

    name: str
    state: StatePath | None = None
    sources: list[SourceSpec] = Field(alias="source", min_length=1)
    target: Target = Field(default_factory=Target)
    import_: ImportSettings = Field(default_factory=ImportSettings, alias="import")
    prune: PruneSettings = Field(default_factory=PruneSettings)
    reports: Reports = Field(default_factory=Reports)

    _job_file: Path | None = PrivateAttr(default=None)
    _job_dir: Path = PrivateAttr(default_factory=Path.cwd)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.fullmatch(v):
            raise ValueError("use only letters, digits, '_', '.' and '-' (the name keys the job's state)")
        return v

    @field_validator("sources", mode="before")
    @classmethod
    def _source_array(cls, v: Any) -> Any:
        if isinstance(v, dict):
            raise ValueError("write each source as [[source]] (double brackets: an array of tables)")
        return v

    @model_validator(mode="after")
    def _locate(self, info: ValidationInfo) -> Job:
        ctx = info.context or {}
        self._job_dir = _job_dir(info).resolve()
        self._job_file = Path(ctx["job_file"]).resolve() if ctx.get("job_file") else None
        shown = ctx.get("display") or "job"
        for i, spec in enumerate(self.sources, 1):
            spec._label = f"{shown}: [[source]] #{i}"
        inputs = self.inputs()
        for kind, path in self.reports.outputs().items():
            for what, used in inputs.items():
                if same_file(path, used):
                    raise ValueError(
                        f"[reports] {kind} = {path} is {what}, which this job reads; writing the "
                        "report would overwrite it (name another file)"
                    )
        return self

    def inputs(self) -> dict[str, Path]:
        """Every file a run of this job reads (job file, sources, mapping profiles, ledger): never an output."""
        out: dict[str, Path] = {}
        if self._job_file is not None:
            out["the job file"] = self._job_file
        for spec in self.sources:
            if spec.path is not None:
                out[f"the source of {spec.label}"] = spec.path
            mapping = spec.mapping or spec.options.get("mapping")
            if isinstance(mapping, str) and mapping.lower().endswith(".toml"):
                out[f"the mapping of {spec.label}"] = self._job_dir / expand_home(mapping)
        out["the ledger"] = self.state_path
        return out

    @property
    def job_dir(self) -> Path:
        return self._job_dir

    @property
    def job_file(self) -> Path | None:
        return self._job_file

    @property
    def state_path(self) -> Path:
        """The SQLite ledger: ``state`` if given, else ``<job file stem>.state.sqlite`` next to the job."""
        if self.state is not None:
            return self.state
        stem = self._job_file.stem if self._job_file else self.name
        return self._job_dir / f"{stem}.state.sqlite"

    def normalised(self) -> dict[str, Any]:
        """The job's meaning as plain JSON data: defaults filled in, paths absolute."""
        data = self.model_dump(mode="json", by_alias=True)
        data["state"] = str(self.state_path)
        return data

    def fingerprint(self) -> str:
        """SHA-256 of the normalised content: key order, whitespace and comments do not change it."""
        text = json.dumps(self.normalised(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(("xpipe-migrate-job/1\n" + text).encode("utf-8")).hexdigest()

    def to_run(
        self,
        *,
        prune: bool | None = None,
        force: bool = False,
        adopt: bool = False,
        progress: bool = True,
        with_auth: bool = True,
        lock_wait: float | None = None,
    ):
        """The manager's ``Run`` for this job; ``prune`` None means as the job file says."""
        from migrator.manager import Run

        p = self.prune
        target = self.target.to_options()
        auth = self.target.resolve_auth() if with_auth and target.target != EMBEDDED else None
        return Run(
            sources=[spec.to_input(key_base=self.job_dir) for spec in self.sources],
            target=target,
            mapper=self.import_.to_mapper_options(),
            auth=auth,
            state_path=self.state_path,
            prune=PruneOptions(
                enabled=p.enabled if prune is None else prune,
                max_percent=p.max_percent,
                min_owned=p.min_owned,
                quarantine_days=p.quarantine_days,
            ),
            force=force,
            adopt=adopt,
            progress=progress,
            fingerprints={"job": self.fingerprint()},
            lock_wait=Run.lock_wait if lock_wait is None else lock_wait,
        )


# -- loading and error messages ------------------------------------------------------------------------


_SECTION_MODELS: dict[tuple[str, ...], type[BaseModel]] = {
    (): Job,
    ("source",): SourceSpec,
    ("source", "filter"): SourceFilter,
    ("target",): Target,
    ("import",): ImportSettings,
    ("prune",): PruneSettings,
    ("reports",): Reports,
}
_HIDDEN_KEYS = {"api_key"}
_TOML_TYPES = (
    (bool, "a boolean"),
    (int, "an integer"),
    (float, "a float"),
    (str, "a string"),
    (dict, "a table"),
    (list, "an array"),
)


def _toml_type(value: Any) -> str:
    """The TOML type of a value, with its article (never the value: it might be a secret)."""
    for cls, name in _TOML_TYPES:
        if isinstance(value, cls):
            return name
    return "a date/time" if value is not None else "nothing"


def _where(loc: tuple) -> tuple[str, list[str | int]]:
    """Split a pydantic location into a TOML section label and the key path inside it."""
    if not loc:
        return "", []
    head = loc[0]
    if head == "source":
        if len(loc) > 1 and isinstance(loc[1], int):
            return f"[[source]] #{loc[1] + 1}", list(loc[2:])
        return "[[source]]", list(loc[1:])
    if head in ("target", "import", "prune", "reports"):
        return f"[{head}]", list(loc[1:])
    return "", list(loc)


def _key_path(parts: list[str | int]) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f" item {p + 1}"
        else:
            out += ("." if out else "") + p
    return out


def _suggestion(loc: tuple, prefix: str) -> str:
    """A close known key for a misspelt one, written like the unknown key (``filter.include_tags``)."""
    model = _SECTION_MODELS.get(tuple(p for p in loc[:-1] if isinstance(p, str)))
    if model is None:
        return ""
    known = [f.alias or n for n, f in model.model_fields.items() if n not in _HIDDEN_KEYS]
    close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.7)
    return f" (did you mean '{prefix}{close[0]}'?)" if close else ""


def _describe(err: dict) -> str:
    loc, kind = tuple(err["loc"]), err["type"]
    section, keys = _where(loc)
    prefix = (section + " ") if section else ""
    if kind == "extra_forbidden":
        parents = "".join(f"{k}." for k in keys[:-1] if not isinstance(k, int))
        return f"{prefix}unknown key '{parents}{keys[-1]}'{_suggestion(loc, parents)}"
    if loc == ("source",) and kind in ("missing", "too_short"):
        return "[[source]]: at least one [[source]] table is required"
    where = (prefix + _key_path(keys)).strip() or "job"
    if kind == "missing":
        return f"{where}: required key is missing"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"{where}: should be a table (got {_toml_type(err.get('input'))})"
    if kind == "value_error":
        return f"{where}: {err['msg'].removeprefix('Value error, ')}"
    msg = err["msg"][:1].lower() + err["msg"][1:]
    if kind.endswith("_type"):
        msg += f" (got {_toml_type(err.get('input'))})"
    return f"{where}: {msg}"


def parse_job(data: dict[str, Any], job_file: str | Path) -> Job:
    """Validate TOML data read from ``job_file``; every problem is listed in one ``ConfigError``."""
    path = Path(job_file)
    context = {"job_dir": path.absolute().parent, "job_file": path, "display": str(job_file)}
    try:
        return Job.model_validate(data, context=context)
    except ValidationError as exc:
        lines = [f"{job_file}: {_describe(e)}" for e in exc.errors()]
        raise ConfigError("\n".join(dict.fromkeys(lines))) from None


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one file: the same inode when both exist, else the same resolved path."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return expand_home(a).resolve() == expand_home(b).resolve()


def load_job(path: str | Path) -> Job:
    """Read and validate a job file; syntax errors name the line and column."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read job file: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{path}: line {line}: job files must be UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        pos = _TOML_POSITION.search(message)
        if pos:
            message = message[: pos.start()]
            raise ConfigError(f"{path}: line {pos[1]}, column {pos[2]}: invalid TOML: {message}") from None
        raise ConfigError(f"{path}: invalid TOML: {message}") from None
    return parse_job(data, path)
