"""The contract every source format implements.

A source is named by a ``location`` (a path, ``-`` for standard input where a format allows it, or a
URL) and configured by a typed options model of its own, so a misspelt option is an error that names
it instead of passing silently. ``fingerprint()`` identifies what was read, so a saved plan can tell
when its inputs changed, whether they are files or answers from a service.
"""

from __future__ import annotations

import codecs
import difflib
import hashlib
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from migrator.errors import ConfigError, InputError
from migrator.model import Diagnostic, Provenance, SourceResult

#: Options that the CLI gives their own flags; an error about them names the flag too.
_FLAG_OF = {"mapping": "--mapping", "sheet": "--sheet"}


class SourceOptions(BaseModel):
    """Base of every format's options: unknown keys are refused, values are checked by type.

    Each option is documented where it is declared, by a ``Field(description=...)`` or a ``#:``
    comment on the line(s) above it; ``option_help`` reads either, so ``xpipe-migrate formats`` and
    the README are generated from the one place the option is defined.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def option_help(cls) -> dict[str, str]:
        """Option name -> its one-line description (``Field(description=...)``, else its ``#:`` comment)."""
        comments: dict[str, str] = {}
        for klass in reversed(cls.__mro__):
            if isinstance(klass, type) and issubclass(klass, SourceOptions):
                comments.update(_field_comments(klass))
        return {name: (field.description or comments.get(name, "")).strip() for name, field in cls.model_fields.items()}


def _field_comments(klass: type) -> dict[str, str]:
    """Each field's ``#:`` comment (the lines right above it) or docstring (the string right below it)."""
    import ast
    import inspect
    import textwrap

    try:
        source = textwrap.dedent(inspect.getsource(klass))
    except (OSError, TypeError):  # no source shipped: the descriptions are simply not shown
        return {}
    lines = source.splitlines()
    body = ast.parse(source).body[0].body
    out = {}
    for i, node in enumerate(body):
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        above, n = [], node.lineno - 2
        while n >= 0 and lines[n].strip().startswith("#:"):
            above.insert(0, lines[n].strip()[2:].strip())
            n -= 1
        after = body[i + 1] if i + 1 < len(body) else None
        if above:
            out[node.target.id] = " ".join(above)
        elif isinstance(after, ast.Expr) and isinstance(getattr(after, "value", None), ast.Constant):
            if isinstance(after.value.value, str):
                out[node.target.id] = " ".join(after.value.value.split())
    return out


def text_codec(name: str) -> str:
    """The codec's normal name if it decodes bytes to text; ``ValueError`` otherwise.

    ``codecs.lookup`` also knows bytes-to-bytes codecs (``base64``, ``zlib``) and str-to-str ones
    (``rot13``): as an encoding they would fail deep inside a read, so they are refused here.
    """
    try:
        info = codecs.lookup(name)
    except (LookupError, TypeError):
        raise ValueError(f"{name!r} is not a known encoding or code page (try utf-8, cp1252, cp1250, ...)") from None
    if not getattr(info, "_is_text_encoding", True):
        raise ValueError(f"{name!r} is not a text encoding or code page (try utf-8, cp1252, cp1250, ...)")
    return info.name


#: An option naming the character encoding of a file (``encoding``, ``codepage``).
TextCodec = Annotated[str, AfterValidator(text_codec)]


def _option_type(value: Any) -> str:
    """The type of a value as a user reads it (never the value: an option may be a secret path)."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return "another type"


def describe_option_errors(model: type[BaseModel], exc: ValidationError, where: str, fmt: str) -> list[str]:
    """One line per problem, worded like the job file's: ``unknown option 'codepag' (did you mean ...)``."""
    known = sorted(model.model_fields)
    lines = []
    for err in exc.errors():
        name = ".".join(str(p) for p in err["loc"]) or "options"
        if err["type"] == "extra_forbidden":
            if name in _FLAG_OF:
                takers = sorted(f for f, cls in _formats_with_option(name))
                lines.append(
                    f"{where}: {_FLAG_OF[name]} ({name}) does not apply to {fmt} sources; "
                    f"only {', '.join(takers)} take it"
                )
                continue
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            choices = f"; {fmt} options: {', '.join(known)}" if known and not close else ""
            lines.append(f"{where}: unknown option '{name}' for {fmt} sources{hint}{choices}")
        elif err["type"] == "value_error" and not err["loc"]:  # about the options as a whole
            lines.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
        elif err["type"] == "value_error":
            lines.append(f"{where}: option '{name}': {err['msg'].removeprefix('Value error, ')}")
        else:
            msg = err["msg"][:1].lower() + err["msg"][1:]
            lines.append(f"{where}: option '{name}': {msg} (got {_option_type(err.get('input'))})")
    return lines


def _formats_with_option(name: str):
    from migrator.sources import available_formats

    for fmt, cls in available_formats().items():
        if name in cls.Options.model_fields:
            yield fmt, cls


class Source(ABC):
    """Reads one input into hosts and diagnostics.

    ``read`` never raises for bad content: every entry it cannot import becomes a Diagnostic that
    names the file, line/row and field, and the rest of the input still goes through. It raises
    ``InputError`` (or a service error) only when the input cannot be read at all.
    """

    #: The format's name in ``FORMAT:LOCATION``, in job files and in reports.
    format: ClassVar[str]
    #: One line for ``--help`` and the README's format list.
    summary: ClassVar[str] = ""
    #: The format's options model; its field defaults are the only defaults of those options.
    Options: ClassVar[type[SourceOptions]] = SourceOptions
    #: The version of this contract the class is written for (plugins: see ``sources.registry``).
    api_version: ClassVar[int] = 1
    #: True when the location is a URL rather than a local path.
    remote: ClassVar[bool] = False
    #: True for spreadsheet formats: mapped by a column profile, with ``--rejects`` and ``mapping check``.
    tabular: ClassVar[bool] = False

    def __init__(
        self, location: str | Path, options: SourceOptions | None = None, *, key_location: str | None = None, **raw: Any
    ):
        """``options`` is the validated model; keyword options (``codepage="cp1250"``) are validated here."""
        if raw and options is not None:
            raise TypeError("give options as a model or as keywords, not both")
        self.location = str(location) if not isinstance(location, Path) else location.as_posix()
        self.options = options if options is not None else self.parse_options(raw)
        self.key_location = key_location or self.location

    @classmethod
    def parse_options(cls, raw: dict[str, Any] | None, where: str | None = None) -> SourceOptions:
        """Validate ``raw`` against this format's options model; all problems in one ``ConfigError``."""
        from migrator.sources.secrets import refuse_secret_values

        refuse_secret_values(raw, where or cls.format)
        try:
            return cls.Options.model_validate(raw or {})
        except ValidationError as exc:
            lines = describe_option_errors(cls.Options, exc, where or cls.format, cls.format)
            raise ConfigError("\n".join(dict.fromkeys(lines))) from None

    @classmethod
    def check_location(cls, location: str) -> str:
        """The location in its normal form, or ``ConfigError`` naming what is wrong with it."""
        return location

    @classmethod
    def detect(cls, path: Path, head: bytes) -> int:
        """How sure this format is that local ``path`` (first bytes ``head``) is its kind: 0 (no) to 100."""
        return 0

    @classmethod
    def example(cls, folder: Path) -> str | None:
        """Write a small valid input of this format into the existing ``folder`` and return its location.

        The contract tests run every registered format (plugins included) through the same checks
        with it: it must read to at least one host and no error. None only for a remote format.
        """
        return None

    @abstractmethod
    def read(self) -> SourceResult: ...

    @abstractmethod
    def fingerprint(self) -> str:
        """A digest of what this source holds now, for the staleness check of saved plans."""

    # helpers shared by the formats

    @property
    def display_path(self) -> str:
        return self.location

    def key(self, entry_id: str) -> str:
        """Stable source key: format, location (as given, or as the job names it) and the entry's id."""
        return f"{self.format}:{self.key_location}#{entry_id}"

    def provenance(self, line: int | None = None, section: str | None = None, file: str | None = None):
        return Provenance(format=self.format, file=file or self.display_path, line=line, section=section)

    def diag(self, level, code, message, *, line=None, field=None, entry=None, file=None) -> Diagnostic:
        return Diagnostic(
            level=level,
            code=code,
            message=message,
            file=file or self.display_path,
            line=line,
            field=field,
            entry=entry,
        )


class FileSource(Source):
    """A source read from a local file or folder: the location must exist, the fingerprint hashes its bytes.

    ``inputs`` lists every other file a ``read`` opened (an Included ssh_config file, a mapping
    profile): a saved plan is stale when any file the read depended on changed, not just the first.
    """

    def __init__(
        self, location: str | Path, options: SourceOptions | None = None, *, key_location: str | None = None, **raw: Any
    ):
        super().__init__(location, options, key_location=key_location, **raw)
        self.path = Path(self.location)
        self.inputs: list[Path] = []
        if not self.path.exists():
            raise InputError(f"{self.location}: no such file or folder")

    def fingerprint(self) -> str:
        """sha256 over the bytes of the file (a folder: every file below) and of every file in ``inputs``."""
        return files_fingerprint([self.path, *self.inputs])


def strip_bom(data: bytes) -> bytes:
    """The bytes after a UTF-8 BOM, and after leading whitespace: what a format sniffs at (in ``detect``)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.lstrip(b" \t\r\n")


def files_fingerprint(paths) -> str:
    from migrator.sources.limits import read_source_bytes

    h = hashlib.sha256()
    for path in sorted(set(Path(p) for p in paths)):
        files = sorted(f for f in path.rglob("*") if f.is_file()) if path.is_dir() else [path]
        for f in files:
            h.update(f.as_posix().encode("utf-8") + b"\0")
            try:
                h.update(read_source_bytes(f))
            except InputError:
                h.update(b"<unreadable>")
    return h.hexdigest()
