"""The ``[target]``, ``[import]``, ``[prune]`` and ``[reports]`` sections of a job file, and the
validation helpers every section shares (paths relative to the job file, category paths, formats).

Split from ``migrator.sync.job``, which keeps the whole ``Job``, ``[[source]]`` and the loading.
"""

from __future__ import annotations

import difflib
import os
import re
import string
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationInfo,
    field_validator,
    model_validator,
)

from migrator.errors import ConfigError, InputError
from migrator.mapper.ssh_store import MapperOptions
from migrator.plan.model import PruneOptions
from migrator.userpath import expand_home
from migrator.xpipe.target import MAX_SECONDS, TargetOptions, check_state_dir

EMBEDDED = "embedded"
DEFAULT_API_KEY_ENV = "XPIPE_API_KEY"
IDENTITY_NAME_FIELDS = ("user", "method", "n")
#: Options that have their own key in ``[[source]]``; giving them in ``options`` would be ambiguous.
_RESERVED_OPTIONS = {"mapping": "mapping", "sheet": "sheet", "format": "format", "fmt": "format"}
_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_MAX_TEMPLATE_WIDTH = 64

StrictBool = Annotated[bool, Strict()]


def _known_format(v: str) -> str:
    from migrator.sources import registry

    names = registry().names()
    if v not in names:
        close = difflib.get_close_matches(v, list(names), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"unknown format {v!r}{hint}; known: {', '.join(names)}")
    return v


def option_takers(option: str) -> tuple[str, ...]:
    """The formats whose options model has ``option`` (``mapping``, ``sheet``): declared on the classes."""
    from migrator.sources import formats_where

    return formats_where(lambda cls: option in cls.Options.model_fields)


def format_list(formats: tuple[str, ...]) -> str:
    return " and ".join(formats) if len(formats) < 3 else ", ".join(formats[:-1]) + " and " + formats[-1]


# -- paths relative to the job file -----------------------------------------------------------------


def _job_dir(info: ValidationInfo) -> Path:
    ctx = info.context or {}
    return Path(ctx.get("job_dir") or Path.cwd())


def _path_text(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        raise ValueError("must not be empty")
    return value


def _resolve(value: Path, info: ValidationInfo) -> Path:
    path = expand_home(value)
    if not path.is_absolute():
        path = _job_dir(info) / path
    return path.resolve()


#: A path in the job file: relative to the job file's folder, returned absolute.
JobPath = Annotated[Path, BeforeValidator(_path_text), AfterValidator(_resolve)]


def _resolve_folder(value: Path, info: ValidationInfo) -> Path:
    """Like ``_resolve``, but a link in the last component stays a link (the ledger checks it)."""
    path = expand_home(value)
    if not path.is_absolute():
        path = _job_dir(info) / path
    return path.parent.resolve() / path.name


#: The ledger's path: absolute, its own name not followed, so a link to nothing is seen as one.
StatePath = Annotated[Path, BeforeValidator(_path_text), AfterValidator(_resolve_folder)]


def _category_path(value: str, what: str) -> str:
    """``"A / B"`` -> ``"A/B"``; a leading ``All connections`` is XPipe's root and is dropped."""
    parts = [p.strip() for p in value.split("/")]
    if parts and parts[0].casefold() == "all connections":
        parts = parts[1:]
    if not parts or any(not p for p in parts):
        raise ValueError(f"{what} needs names separated by '/', none of them empty (e.g. \"Imported/Servers\")")
    if any(ord(c) < 32 for p in parts for c in p):
        raise ValueError(f"{what} must not contain control characters")
    return "/".join(parts)


# -- the sections ------------------------------------------------------------------------------------


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _is_remote(fmt: str | None) -> bool:
    from migrator.sources import registry_has, source_class

    if fmt is None or not registry_has(fmt):
        return False
    try:
        return source_class(fmt).remote
    except InputError:  # a broken plugin: its own validator reports it
        return False


def _is_path_field(field) -> bool:
    annotation = field.annotation
    return annotation is Path or Path in getattr(annotation, "__args__", ())


def _only_for(fmt: str | None, option: str, what: str) -> None:
    if fmt is None:
        return
    takers = option_takers(option)
    if fmt not in takers:
        raise ValueError(f"only {format_list(takers)} sources take {what}; this source's format is {fmt!r}")


class Target(_Section):
    """``[target]``: which XPipe to talk to and how to authenticate."""

    url: str | None = None
    auth: Literal["local", "api-key"] = "local"
    auth_file: JobPath | None = None
    api_key_file: JobPath | None = None
    api_key_env: str = DEFAULT_API_KEY_ENV
    #: Never accepted: present only so the error can say why instead of "unknown key".
    api_key: Any = Field(default=None, exclude=True, repr=False)
    dialect: Literal["23", "24"] | None = None
    ptb: StrictBool = False
    timeout: Annotated[float, Strict(), Field(gt=0, le=MAX_SECONDS, allow_inf_nan=False)] = TargetOptions.timeout
    first_timeout: Annotated[float, Strict(), Field(gt=0, le=MAX_SECONDS, allow_inf_nan=False)] = (
        TargetOptions.first_timeout
    )
    ca_bundle: JobPath | None = None
    proxy: str | None = None
    embedded_version: str | None = None
    embedded_state: JobPath | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        from migrator.xpipe.target import check_url

        if v.strip().casefold() == EMBEDDED:
            return EMBEDDED
        try:
            return check_url(v, "the URL")
        except ValueError as exc:
            if "user name" in str(exc):
                raise ValueError(
                    "must not contain a user name or password; XPipe authenticates with its auth file or an API key"
                ) from None
            raise ValueError(
                f'must be "embedded" or an XPipe API URL ({exc}); leave it out to discover XPipe'
            ) from None

    @field_validator("auth")
    @classmethod
    def _auth(cls, v: str, info: ValidationInfo) -> str:
        if v == "api-key" and info.data.get("url") == EMBEDDED:
            raise ValueError('the embedded simulator uses Local authentication; leave auth out with url = "embedded"')
        return v

    @field_validator("auth_file")
    @classmethod
    def _auth_file(cls, v: Path, info: ValidationInfo) -> Path:
        if info.data.get("auth") == "api-key":
            raise ValueError('only used with auth = "local"')
        if info.data.get("url") == EMBEDDED:
            raise ValueError('not used with url = "embedded" (the simulator writes its own auth file)')
        return v

    @field_validator("api_key_file")
    @classmethod
    def _api_key_file(cls, v: Path, info: ValidationInfo) -> Path:
        if info.data.get("auth") != "api-key":
            raise ValueError('only used with auth = "api-key"')
        return v

    @field_validator("api_key_env")
    @classmethod
    def _api_key_env(cls, v: str, info: ValidationInfo) -> str:
        if info.data.get("auth") != "api-key":
            raise ValueError('only used with auth = "api-key"')
        if info.data.get("api_key_file") is not None:
            raise ValueError("give api_key_file or api_key_env, not both")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", v):
            raise ValueError("must be the name of an environment variable (the key itself never goes in a job file)")
        return v

    @field_validator("api_key")
    @classmethod
    def _api_key(cls, v: Any) -> None:
        raise ValueError(
            "the API key must not be written into a job file (job files are shared and committed); "
            "put it in a file and set api_key_file, or in an environment variable named by api_key_env"
        )

    @field_validator("dialect", mode="before")
    @classmethod
    def _dialect(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @field_validator("embedded_version", "embedded_state")
    @classmethod
    def _embedded_only(cls, v: Any, info: ValidationInfo) -> Any:
        if info.data.get("url") != EMBEDDED:
            raise ValueError('only used with url = "embedded"')
        if isinstance(v, str) and not v.strip():
            raise ValueError("must not be empty")
        if info.field_name == "embedded_state" and v is not None:
            check_state_dir(str(v))
        return v

    @field_validator("ptb", "ca_bundle", "proxy")
    @classmethod
    def _daemon_only(cls, v: Any, info: ValidationInfo) -> Any:
        if v and info.data.get("url") == EMBEDDED:
            raise ValueError('not used with url = "embedded" (the simulator speaks plain HTTP on 127.0.0.1)')
        return v

    def to_options(self):
        """The ``TargetOptions`` the rest of the tool opens a client with (auth via ``resolve_auth``)."""
        from migrator.xpipe.target import TargetOptions

        opts = TargetOptions(
            target=self.url,
            auth_file=str(self.auth_file) if self.auth_file else None,
            api_key_file=str(self.api_key_file) if self.api_key_file else None,
            ptb=self.ptb,
            api_dialect=self.dialect,
            timeout=self.timeout,
            first_timeout=self.first_timeout,
            ca_bundle=str(self.ca_bundle) if self.ca_bundle else None,
            proxy=self.proxy,
            embedded_state=str(self.embedded_state) if self.embedded_state else None,
        )
        if self.embedded_version:
            opts.embedded_version = self.embedded_version
        return opts

    def resolve_auth(self, env: dict[str, str] | None = None):
        """The ``Auth`` for a real daemon, exactly as the job says (no fallback to another method)."""
        from migrator.xpipe.auth import ApiKeyAuth, LocalAuth, api_key_from_file

        if self.auth == "local":
            return LocalAuth(self.auth_file, ptb=self.ptb)
        if self.api_key_file is not None:
            return api_key_from_file(self.api_key_file)
        env = os.environ if env is None else env
        if not env.get(self.api_key_env):
            raise ConfigError(
                f'[target] auth = "api-key" but the environment variable {self.api_key_env} '
                "is not set; set it, or name a key file with api_key_file"
            )
        return ApiKeyAuth(env[self.api_key_env], origin=f"the API key in ${self.api_key_env}")


def _identity_template(v: str) -> str:
    try:
        parsed = [(f, spec) for _, f, spec, _conv in string.Formatter().parse(v) if f is not None]
    except ValueError as exc:
        raise ValueError(f"is not a valid name template ({exc}); write literal braces as {{{{ and }}}}") from None
    allowed = ", ".join("{" + f + "}" for f in IDENTITY_NAME_FIELDS)
    for f, spec in parsed:
        if f not in IDENTITY_NAME_FIELDS:
            shown = "{" + f + "}" if f and len(f) <= 40 else "{}" if not f else "{...}"
            raise ValueError(f"unknown field {shown} in the name template; allowed: {allowed}")
        if spec and any(int(width) > _MAX_TEMPLATE_WIDTH for width in re.findall(r"\d+", spec)):
            # {user:>99999999999} would build a name of gigabytes before anything could check it
            raise ValueError(
                f"the format of {{{f}}} in the name template asks for more than {_MAX_TEMPLATE_WIDTH} characters"
            )
    try:
        sample = v.format(user="deploy", method="key", n=2)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"is not a valid name template ({exc})") from None
    if not sample.strip():
        raise ValueError(f"gives an empty name; use the fields {allowed}")
    return v


class ImportSettings(_Section):
    """``[import]``: where entries go and how credentials and name clashes are handled."""

    root_category: str = "/".join(MapperOptions.root_category)
    password_policy: Literal["source", "prompt", "none"] = MapperOptions.password_policy
    identities: Literal["auto", "inplace", "shared"] = MapperOptions.identities
    identity_threshold: Annotated[int, Strict(), Field(ge=1)] = MapperOptions.identity_threshold
    identity_category: Literal["local", "synced"] = MapperOptions.identity_category
    identity_name: Annotated[str, AfterValidator(_identity_template)] = MapperOptions.identity_name
    name_clash: Literal["refuse", "rename"] = MapperOptions.name_clash
    identity: str | None = None

    @field_validator("identity")
    @classmethod
    def _identity(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("must name an identity that exists in XPipe (or be left out)")
        return v.strip() if v else None

    @field_validator("root_category")
    @classmethod
    def _root(cls, v: str) -> str:
        return _category_path(v, "the root category")

    @property
    def root_path(self) -> tuple[str, ...]:
        return tuple(self.root_category.split("/"))

    def to_mapper_options(self):
        from migrator.mapper.ssh_store import MapperOptions

        return MapperOptions(
            root_category=self.root_path,
            password_policy=self.password_policy,
            identities=self.identities,
            identity_threshold=self.identity_threshold,
            identity_category=self.identity_category,
            identity_name=self.identity_name,
            name_clash=self.name_clash,
            use_identity=self.identity,
        )


class PruneSettings(_Section):
    """``[prune]``: removing entries this job created that are gone from the sources."""

    enabled: StrictBool = False
    max_percent: Annotated[float, Strict(), Field(ge=0, le=100)] = PruneOptions.max_percent
    min_owned: Annotated[int, Strict(), Field(ge=0)] = PruneOptions.min_owned
    #: accepted for job files of earlier versions; quarantine now leaves entries where they are (README)
    quarantine_category: str = "Quarantine"
    quarantine_days: Annotated[int, Strict(), Field(ge=0)] = PruneOptions.quarantine_days

    @field_validator("quarantine_category")
    @classmethod
    def _quarantine(cls, v: str) -> str:
        return _category_path(v, "the quarantine category")

    @property
    def quarantine_path(self) -> tuple[str, ...]:
        """Below the root category."""
        return tuple(self.quarantine_category.split("/"))


class Reports(_Section):
    """``[reports]``: files written after planning; all optional."""

    markdown: JobPath | None = None
    html: JobPath | None = None
    json_: JobPath | None = Field(default=None, alias="json")
    rejects: JobPath | None = None

    @model_validator(mode="after")
    def _distinct(self) -> Reports:
        seen: dict[Path, str] = {}
        for kind, path in self.outputs().items():
            if path in seen:
                raise ValueError(f"{seen[path]} and {kind} would both be written to {path}")
            seen[path] = kind
        return self

    def outputs(self) -> dict[str, Path]:
        """The configured outputs by kind (``markdown``, ``html``, ``json``, ``rejects``)."""
        pairs = (("markdown", self.markdown), ("html", self.html), ("json", self.json_), ("rejects", self.rejects))
        return {kind: path for kind, path in pairs if path is not None}
