"""What the CSV and Excel sources share: finding the header row, choosing the mapping profile, and
turning rows into hosts, diagnostics and rejects.

A format module only has to produce ``Table``s (a header plus rows of cell text with their line or
sheet-row numbers); everything about the meaning of the columns lives here and in the profile.
Rows are mapped in two passes because a row's ``jump`` column may name a row further down.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr, ValidationError

from migrator.errors import ConfigError
from migrator.model import (
    Credentials,
    Diagnostic,
    Host,
    JumpHop,
    RejectedRow,
    SourceResult,
    validate_address,
)
from migrator.sources.tabular.profiles import (
    AMBIGUITY_MARGIN,
    CONFIDENT_SCORE,
    SECRET_FIELDS,
    Detection,
    FieldSpec,
    HeaderMatch,
    Profile,
    all_profiles,
    ambiguous,
    load_profile,
    normalise_header,
    normalise_value,
    rank_profiles,
)

#: How many non-blank rows at the top of a file or sheet are searched for the header row.
HEADER_SCAN_ROWS = 30

_TRUE = {"true", "yes", "y", "1", "x", "on", "enabled", "ja", "wahr", "oui"}
_FALSE = {"false", "no", "n", "0", "off", "disabled", "nein", "falsch", "non", "-"}
_THOUSANDS = re.compile(r"^(\d{1,2})[.,' \u00a0\u202f](\d{3})$")
_WINDOWS_ABS = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\)")
#: port and user are also filled from ``user@host:port`` when the profile has no column for them
_BARE_SPECS = {"port": FieldSpec(name="port"), "user": FieldSpec(name="user")}
#: Fields read from one column each, in the order they depend on each other (host before port/user).
_FIELD_ORDER = (
    "id", "parent", "node_type", "enabled", "protocol", "host", "port", "user", "password", "key_file",
    "key_passphrase", "identity", "password_ref", "agent", "jump",
)


@dataclass(slots=True)
class RawRow:
    """One data row: its line (CSV) or sheet-row (Excel) number and the text of every cell."""

    line: int
    values: list[str]
    #: column index -> why the cell may not hold what the user typed (an Excel date, a formula, ...)
    notes: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RejectFormat:
    """How to write rejected rows so the file can be fixed and fed back."""

    delimiter: str = ","
    encoding: str = "utf-8"
    quoting: str = "minimal"


@dataclass
class Table:
    """A header row and the rows under it, already matched to a profile."""

    section: str | None
    header_line: int
    detection: Detection
    rows: list[RawRow]
    reject_format: RejectFormat = RejectFormat()

    @property
    def match(self) -> HeaderMatch:
        assert self.detection.match is not None
        return self.detection.match


@dataclass
class TabularRejectedRow(RejectedRow):
    """A ``RejectedRow`` that also remembers the dialect it came in, so it can be written back."""

    section: str | None = None
    delimiter: str = ","
    encoding: str = "utf-8"
    quoting: str = "minimal"


# -- choosing the header row and the profile ------------------------------------------------------


def profiles_for(mapping: str | Path | None) -> tuple[list[Profile], bool]:
    """The profiles to try, and whether the user forced one."""
    if mapping:
        return [load_profile(mapping)], True
    profiles = all_profiles()
    if not profiles:
        raise ConfigError("no mapping profiles found; set XPIPE_MIGRATE_MAPPINGS or pass --mapping FILE.toml")
    return profiles, False


def choose_header(
    records: list[tuple[int, list[str]]], profiles: list[Profile], forced: bool, where: str
) -> tuple[int, Detection] | None:
    """Find the header among the first rows (title rows and blank rows above it are common).

    Returns the index into ``records`` and the detection, or None when no row has a host column.
    The first row that a profile matches confidently wins; otherwise the best-matching row.
    Two profiles that fit the header about equally well are ambiguous: the user must choose.
    """
    best: tuple[float, int, list[HeaderMatch]] | None = None
    for idx, (_, cells) in enumerate(records[:HEADER_SCAN_ROWS]):
        if sum(1 for c in cells if c.strip()) == 0:
            continue
        ranking = rank_profiles(cells, profiles)
        top = ranking[0].score
        if top <= 0:
            continue
        if best is None or top > best[0]:
            best = (top, idx, ranking)
        if top >= CONFIDENT_SCORE:
            break
    if best is None:
        return None
    _, idx, ranking = best
    if not forced and ambiguous(ranking):
        close = [m for m in ranking
                 if ranking[0].score - m.score < AMBIGUITY_MARGIN and m.score >= CONFIDENT_SCORE]
        names = ", ".join(f"{m.profile.name} ({m.score:.2f})" for m in close)
        raise ConfigError(
            f"{where}: the header on line {records[idx][0]} fits several mapping profiles equally well "
            f"({names}); choose one with --mapping"
        )
    return idx, Detection(match=ranking[0], ranking=ranking, forced=forced)


def header_diagnostics(source, table: Table, file: str | None = None) -> list[Diagnostic]:
    """Say which profile was used, and report duplicated and unused columns."""
    det, match = table.detection, table.match
    loc = {"line": table.header_line, "file": file}
    where = f" (sheet {table.section})" if table.section else ""
    out = []
    if det.forced:
        out.append(source.diag("info", "mapping", f"mapping profile {match.profile.name!r}{where}", **loc))
    elif det.confident:
        runner = (
            f"; next best {det.ranking[1].profile.name!r} ({det.ranking[1].score:.2f})"
            if len(det.ranking) > 1 else ""
        )
        out.append(source.diag(
            "info", "mapping-detected",
            f"headers match mapping profile {match.profile.name!r}{where} (score {match.score:.2f}{runner})",
            **loc,
        ))
    else:
        out.append(source.diag(
            "warning", "mapping-guessed",
            f"headers match no mapping profile well{where}; using {match.profile.name!r} "
            f"(score {match.score:.2f}) - check the columns with 'mapping check' or pass --mapping",
            **loc,
        ))
    fields = match.column_field()
    for name, idxs in match.duplicates.items():
        fname = fields.get(idxs[0])
        spec = match.profile.spec(fname) if fname else None
        cols = ", ".join(str(i + 1) for i in idxs)
        if spec is not None and spec.join:
            out.append(source.diag(
                "info", "duplicate-column",
                f"column {name!r} appears {len(idxs)} times (columns {cols}); their values are joined",
                field=name, **loc,
            ))
        else:
            use = f"; the first non-blank one feeds {fname}" if fname else "; none of them is imported"
            out.append(source.diag(
                "warning", "duplicate-column",
                f"column {name!r} appears {len(idxs)} times (columns {cols}){use}", field=name, **loc,
            ))
    if match.unused:
        names = [match.names[i] for i in match.unused]
        shown = ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
        out.append(source.diag("info", "unused-columns", f"columns not imported: {shown}", **loc))
    return out


# -- value helpers ----------------------------------------------------------------------------------


def parse_port(text: str) -> int:
    """``22``, ``22.0`` (a spreadsheet number) and ``2.222``/``2,222`` (thousands separators)."""
    t = text.strip()
    m = _THOUSANDS.match(t)
    if m:
        n = int(m.group(1) + m.group(2))
    elif t.isdigit():
        n = int(t)
    elif re.fullmatch(r"\d+\.0+", t):
        n = int(t.split(".")[0])
    else:
        raise ValueError(f"port {t!r} is not a number")
    if not 1 <= n <= 65535:
        raise ValueError(f"port {n} is outside 1-65535")
    return n


#: Values of an ``agent`` column (normalised) and the agent they name.
AGENTS = {"pageant": "pageant", "openssh": "openssh", "ssh-agent": "openssh", "sshagent": "openssh",
          "agent": "openssh", "yes": "openssh", "true": "openssh"}


def parse_bool(text: str) -> bool:
    t = normalise_value(text)
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    raise ValueError(f"{text!r} is not yes/no, true/false or 1/0")


def split_target(text: str) -> tuple[str | None, str, str | None]:
    """``user@host:port`` -> (user, host, port); IPv6 needs brackets when a port follows."""
    user = None
    rest = text.strip()
    if "@" in rest:
        user, _, rest = rest.rpartition("@")
        user = user.strip() or None
    port = None
    if rest.startswith("["):
        host, sep, tail = rest[1:].partition("]")
        if not sep or (tail and not tail.startswith(":")):
            raise ValueError(f"{text!r} is not user@host:port")
        port = tail[1:] or None
    elif rest.count(":") == 1:
        host, _, port = rest.partition(":")
        port = port or None
    else:
        host = rest
    return user, host.strip(), port


def split_list(text: str, separators: tuple[str, ...]) -> list[str]:
    parts = [text]
    for sep in separators:
        parts = [p for chunk in parts for p in chunk.split(sep)]
    return [p.strip() for p in parts if p.strip()]


def _cell(values: list[str], i: int) -> str:
    return values[i].strip() if i < len(values) else ""


# -- rows to drafts ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Problem:
    field: str
    column: str | None
    message: str


@dataclass(slots=True)
class _Draft:
    """A row on its way to becoming a host; ``problems`` non-empty means it is rejected."""

    table: Table
    row: RawRow
    fields: dict[str, str] = field(default_factory=dict)
    name: str = ""
    address: str = ""
    port: int = 22
    user: str | None = None
    password: str | None = None
    key_files: list[str] = field(default_factory=list)
    key_passphrase: str | None = None
    folder: list[str] = field(default_factory=list)
    jump_tokens: list[str] = field(default_factory=list)
    jump_column: str | None = None
    tags: list[str] = field(default_factory=list)
    description: str | None = None
    identity: str | None = None
    password_ref: str | None = None
    agent: str | None = None
    tree_id: str = ""
    tree_parent: str = ""
    container: bool = False
    skipped: str | None = None
    entry_id: str = ""
    key: str = ""
    problems: list[_Problem] = field(default_factory=list)
    #: (level, code, message, column) to report once the row's name is known
    notes: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    jump: list[JumpHop] = field(default_factory=list)


class TableMapper:
    """Maps every table of one input file; jump names resolve across all of them."""

    def __init__(self, source, tables: list[Table], *, file: str | None = None):
        self.source = source
        self.tables = tables
        self.file = file
        self.base_dir = Path(source.path).parent
        # computed once: the source helpers would rebuild the path string for every row
        self._file = file or source.display_path
        self._key_prefix = source.key("")
        self.result = SourceResult()
        self.drafts: list[_Draft] = []
        self.skipped: dict[str, _Draft] = {}
        #: (section, line) -> why the row is not imported although nothing is wrong with it
        self.skipped_rows: dict[tuple[str | None, int], str] = {}

    # diagnostics ---------------------------------------------------------------------------------

    def _diag(self, level, code, message, draft: _Draft | None = None, *, field=None, line=None, entry=None):
        if draft is not None:
            line = draft.row.line
            entry = entry or draft.name or None
        self.result.diagnostics.append(
            self.source.diag(level, code, message, line=line, field=field, entry=entry, file=self._file)
        )

    # reading fields -------------------------------------------------------------------------------

    def _raw(self, table: Table, spec: FieldSpec, values: list[str]) -> tuple[str, str | None, int | None]:
        """The text for ``spec``: fixed value, first non-blank matched column, header default, default."""
        match = table.match
        if spec.value is not None:
            return spec.value, None, None
        idxs = match.columns.get(spec.name, [])
        for i in idxs:
            v = _cell(values, i)
            if v:
                return v, match.names[i], i
        column = match.names[idxs[0]] if idxs else None
        if spec.name in match.header_defaults:
            return match.header_defaults[spec.name], column, None
        if spec.default is not None:
            return spec.default, column, None
        return "", column, idxs[0] if idxs else None

    def _joined(self, table: Table, spec: FieldSpec, values: list[str]) -> list[tuple[str, str]]:
        match = table.match
        parts = []
        for i in match.columns.get(spec.name, []):
            v = _cell(values, i)
            if v:
                parts.append((match.names[i], v))
        if not parts:
            text, column, _ = self._raw(table, spec, values)
            if text:
                parts.append((column or spec.name, text))
        return parts

    def _parts(self, table: Table, spec: FieldSpec, values: list[str]) -> list[tuple[str, str]]:
        """(column, text) pairs: every matched column for ``join`` fields, else the one value."""
        if spec.join:
            return self._joined(table, spec, values)
        text, column, _ = self._raw(table, spec, values)
        return [(column or spec.name, text)] if text else []

    def _mapped(self, draft: _Draft, spec: FieldSpec, text: str, column: str | None) -> str | None:
        """Apply the value map; None means the row is skipped or rejected (already recorded)."""
        key = normalise_value(text)
        if key in spec.warn:
            draft.notes.append(("warning", "value-note", spec.warn[key].replace("{value}", text), column))
        if not spec.value_map:
            return text
        if key in spec.value_map:
            return spec.value_map[key]
        if spec.unmapped == "skip":
            if spec.name == "protocol":
                draft.skipped = f"{column or 'protocol'} {text!r} is not SSH"
            else:
                profile = draft.table.match.profile.name
                draft.skipped = f"{column or spec.name} {text!r} is not imported by profile {profile!r}"
            return None
        if spec.unmapped == "error":
            known = ", ".join(sorted(spec.value_map))
            draft.problems.append(_Problem(spec.name, column, f"{text!r} is not one of: {known}"))
            return None
        return text

    def _note(self, draft: _Draft, index: int | None) -> str:
        if index is None:
            return ""
        note = draft.row.notes.get(index)
        return f" ({note})" if note else ""

    def _shifted(self, draft: _Draft) -> bool:
        """More non-blank cells than header columns: values may be shifted, so quote none of them."""
        values = draft.row.values
        n = len(draft.table.match.header)
        return len(values) > n and any(v.strip() for v in values[n:])

    def _bad(self, draft: _Draft, fname: str, column: str | None, message: str, index: int | None = None):
        if self._shifted(draft):
            message = re.sub(r"'[^']*'", "(value not shown)", message)
            message += " - the row has more fields than the header, so its values may be shifted"
        draft.problems.append(_Problem(fname, column, message + self._note(draft, index)))

    def _draft(self, table: Table, row: RawRow) -> _Draft | None:
        values = row.values
        if not any(v.strip() for v in values):
            return None
        profile = table.match.profile
        d = _Draft(table=table, row=row)
        specs = profile.fields

        if profile.tree_containers is not None:
            d.tree_id = self._raw(table, specs["id"], values)[0]
            d.tree_parent = self._raw(table, specs["parent"], values)[0]
            node_type = self._raw(table, specs["node_type"], values)[0]
            if normalise_value(node_type) in profile.tree_containers:
                d.container = True
                d.name = self._raw(table, specs["name"], values)[0] if "name" in specs else d.tree_id
                return d

        for fname in _FIELD_ORDER:
            spec = specs.get(fname) or _BARE_SPECS.get(fname)
            if spec is None or spec.join:
                continue
            text, column, index = self._raw(table, spec, values)
            if text and (spec.value_map or spec.warn):
                mapped = self._mapped(d, spec, text, column)
                if mapped is None:
                    if d.skipped:
                        return self._named_skip(d)
                    continue
                text = mapped
            if text:
                d.fields[fname] = text
            self._convert(d, spec, text, column, index)
            if d.skipped:
                return self._named_skip(d)

        # name, after host (it may fall back to the address)
        if "name" in specs:
            spec = specs["name"]
            text, column, index = self._raw(table, spec, values)
            if not text and spec.fallback:
                text = d.address if spec.fallback == "host" else d.fields.get(spec.fallback, "")
            d.name = text
            if not text:
                d.name = d.address
        else:
            d.name = d.address
        if any(ord(c) < 32 for c in d.name):
            self._bad(d, "name", None, "name contains control characters")
        # folder: a column, else a regex over another field
        if "folder" in specs:
            d.folder = self._folder(d, specs["folder"], values)
        if "description" in specs:
            spec = specs["description"]
            parts = self._parts(table, spec, values)
            texts = [
                (spec.template.format(column=c, value=v) if spec.template else v) for c, v in parts if v
            ]
            d.description = spec.joiner.join(texts) if texts else None
        if "tags" in specs:
            spec = specs["tags"]
            parts = self._parts(table, spec, values)
            seps = spec.separators if spec.separators is not None else (";", ",")
            tags: list[str] = []
            for c, v in parts:
                for t in split_list(v or "", seps):
                    tag = spec.template.format(column=c, value=t) if spec.template else t
                    if tag not in tags:
                        tags.append(tag)
            d.tags = tags
        if not d.address and not any(p.field == "host" for p in d.problems):
            column = self._raw(table, specs["host"], values)[1]
            idx = table.match.columns.get("host", [None])[0]
            self._bad(d, "host", column, "host is blank", idx)
        return d

    def _named_skip(self, d: _Draft) -> _Draft:
        """A skipped row still gets a name, so a jump that names it can say why it is missing."""
        specs = d.table.match.profile.fields
        for fname in ("name", "host"):
            if fname in specs:
                text = self._raw(d.table, specs[fname], d.row.values)[0]
                if text:
                    d.name = text
                    break
        return d

    def _convert(self, d: _Draft, spec: FieldSpec, text: str, column: str | None, index: int | None):
        fname = spec.name
        if fname == "host":
            if not text:
                return
            host, port_text, user = text, None, None
            if spec.split:
                try:
                    user, host, port_text = split_target(text)
                except ValueError as exc:
                    self._bad(d, "host", column, str(exc), index)
                    return
            try:
                d.address = validate_address(host)
            except ValueError as exc:
                self._bad(d, "host", column, str(exc), index)
                d.address = ""
                return
            if user:
                d.fields["user@host"] = user
            if port_text:
                d.fields["port@host"] = port_text
        elif fname == "port":
            in_cell = index is not None and _cell(d.row.values, index) != ""
            from_host = d.fields.get("port@host")
            port_text = text if in_cell or not from_host else from_host
            if in_cell and from_host and from_host != text:
                d.notes.append(("warning", "port-conflict",
                                f"host names port {from_host} but the port column says {text}; "
                                "using the port column", column))
            if port_text:
                try:
                    d.port = parse_port(port_text)
                except ValueError as exc:
                    self._bad(d, "port", column, str(exc), index)
        elif fname == "user":
            d.user = text or d.fields.get("user@host") or None
            if d.user and any(ord(c) < 32 for c in d.user):
                self._bad(d, "user", column, "user contains control characters")
        elif fname == "password":
            d.password = text or None
        elif fname == "identity":
            d.identity = text or None
        elif fname == "password_ref":
            d.password_ref = text or None
        elif fname == "agent":
            agent = AGENTS.get(normalise_value(text)) if text else None
            if text and agent is None:
                self._bad(d, "agent", column, f"agent {text!r} is not one of: {', '.join(sorted(AGENTS))}")
            d.agent = agent
        elif fname == "key_passphrase":
            d.key_passphrase = text or None
        elif fname == "key_file":
            for item in split_list(text, spec.separators) if spec.separators else ([text] if text else []):
                d.key_files.append(self._key_path(d, item, column))
        elif fname == "jump":
            d.jump_tokens = split_list(text, spec.separators if spec.separators is not None else (",",))
            d.jump_column = column
        elif fname == "protocol":
            accept = spec.accept or ("ssh",)
            if text and normalise_value(text) not in accept:
                d.skipped = f"protocol {text!r} is not SSH"
        elif fname == "enabled":
            if text:
                try:
                    if not parse_bool(text):
                        d.skipped = f"{column or 'enabled'} is {text!r}"
                except ValueError as exc:
                    self._bad(d, "enabled", column, str(exc), index)

    def _key_path(self, d: _Draft, item: str, column: str | None) -> str:
        """Relative key paths are relative to the input file's folder; ``~`` is expanded."""
        if _WINDOWS_ABS.match(item):
            d.notes.append(("warning", "key-file-windows",
                            f"key file {item} is a Windows path; it must exist where XPipe runs", column))
            return item
        path = Path(item).expanduser()
        if not path.is_absolute():
            path = (self.base_dir / path).resolve()
        if not path.is_file():
            d.notes.append(("warning", "key-file-missing", f"key file {path} does not exist on this machine",
                            column))
        return str(path)

    def _folder(self, d: _Draft, spec: FieldSpec, values: list[str]) -> list[str]:
        text, column, index = self._raw(d.table, spec, values)
        seps = spec.separators if spec.separators is not None else ("/", "\\")
        parts = split_list(text, seps) if text else []
        if not parts and spec.regex is not None and spec.regex_from:
            if spec.regex_from == "name":
                subject = d.name
            elif spec.regex_from == "host":
                subject = d.address
            else:
                subject = d.fields.get(spec.regex_from, "")
            m = spec.regex.search(subject or "")
            if m:
                found = m.group("folder") if "folder" in spec.regex.groupindex else (
                    m.group(1) if spec.regex.groups else m.group(0))
                parts = split_list(found or "", seps)
        return [*spec.prefix, *parts] if parts or spec.prefix else []

    # the whole file -------------------------------------------------------------------------------

    def run(self) -> SourceResult:
        for table in self.tables:
            self.result.diagnostics.extend(header_diagnostics(self.source, table, self.file))
            check_cols = self._check_columns(table)
            shifted_rows = 0
            first_shift = None
            for row in table.rows:
                d = self._draft(table, row)
                if d is None:
                    continue
                for level, code, message, column in d.notes:
                    self._diag(level, code, message, d, field=column)
                if self._shifted(d):
                    shifted_rows += 1
                    first_shift = first_shift or row.line
                if d.skipped:
                    self._diag("info", "skipped", f"not imported: {d.skipped}", d)
                    self.skipped_rows[(table.section, row.line)] = d.skipped
                    if d.name:
                        self.skipped.setdefault(d.name.casefold(), d)
                    continue
                if not d.container and not d.problems:
                    for i, chk in check_cols:
                        v = _cell(row.values, i)
                        if normalise_value(v) not in chk.unless:
                            self._diag("warning", "column-check", chk.message.replace("{value}", v), d,
                                       field=table.match.names[i])
                self.drafts.append(d)
            if shifted_rows:
                self._diag("warning", "extra-fields",
                           f"{shifted_rows} row(s) have more values than the header has columns (first on "
                           f"line {first_shift}); the extra values are ignored", line=first_shift)
        self._tree_folders()
        self._assign_keys()
        self._resolve_jumps()
        self._emit()
        return self.result

    def _check_columns(self, table: Table):
        norm = [normalise_header(h) for h in table.match.header]
        out = []
        for chk in table.match.profile.checks:
            if chk.column in norm:
                out.append((norm.index(chk.column), chk))
        return out

    def _tree_folders(self):
        """mRemoteNG-style trees: folders are rows; a connection's Parent names its folder's Id."""
        containers = {d.tree_id: d for d in self.drafts if d.container and d.tree_id}
        if not containers and not any(d.table.match.profile.tree_containers is not None for d in self.drafts):
            return
        for d in self.drafts:
            if d.container or d.table.match.profile.tree_containers is None:
                continue
            path: list[str] = []
            seen = set()
            parent = d.tree_parent
            while parent in containers and parent not in seen:
                seen.add(parent)
                path.insert(0, containers[parent].name)
                parent = containers[parent].tree_parent
            if parent in seen:
                self._diag("warning", "folder-loop", "folder parents form a loop; the path is cut there", d)
            if path:
                prefix = list(d.table.match.profile.fields["folder"].prefix) if "folder" in \
                    d.table.match.profile.fields else []
                d.folder = [*prefix, *path, *d.folder[len(prefix):]]
        self.drafts = [d for d in self.drafts if not d.container]

    def _assign_keys(self):
        """Key = the profile's id column, else the name; repeated names get ``#2``, ``#3`` in file order."""
        first_line: dict[str, int] = {}
        counts: dict[str, int] = {}
        for d in self.drafts:
            base = d.fields.get("id") or d.tree_id or d.name or f"line-{d.row.line}"
            n = counts.get(base, 0) + 1
            counts[base] = n
            if n == 1:
                d.entry_id = base
                first_line[base] = d.row.line
            else:
                d.entry_id = f"{base}#{n}"
                what = "id" if (d.fields.get("id") or d.tree_id) else "name"
                self._diag("warning", "duplicate-name",
                           f"{what} {base!r} is also used on line {first_line[base]}; this entry is kept "
                           f"with the key suffix #{n}", d)
            d.key = self._key_prefix + d.entry_id

    def _resolve_jumps(self):
        by_name: dict[str, list[_Draft]] = {}
        by_fold: dict[str, list[_Draft]] = {}
        by_address: dict[str, list[_Draft]] = {}
        for d in self.drafts:
            by_name.setdefault(d.name, []).append(d)
            by_fold.setdefault(d.name.casefold(), []).append(d)
            if d.address:
                by_address.setdefault(d.address.casefold(), []).append(d)
        state: dict[int, str] = {}
        hop_for: dict[int, JumpHop] = {}

        def target_of(d: _Draft, token: str) -> _Draft | None:
            hits = by_name.get(token) or by_fold.get(token.casefold()) or (
                by_address.get(token.casefold()) if "@" not in token else None)
            if not hits:
                gone = self.skipped.get(token.casefold())
                if gone is not None:
                    d.problems.append(_Problem(
                        "jump", d.jump_column,
                        f"jump host {token!r} (line {gone.row.line}) is not imported: {gone.skipped}"))
                    return d
                return None
            if len(hits) > 1:
                lines = ", ".join(str(h.row.line) for h in hits)
                self._diag("warning", "ambiguous-jump",
                           f"jump {token!r} matches the rows on lines {lines}; using line {hits[0].row.line}",
                           d, field=d.jump_column)
            return hits[0]

        def valid(d: _Draft) -> bool:
            mark = state.get(id(d))
            if mark == "ok":
                return True
            if mark == "bad":
                return False
            if mark == "visiting":
                return False
            state[id(d)] = "visiting"
            hops = []
            for token in d.jump_tokens:
                problems_before = len(d.problems)
                t = target_of(d, token)
                if len(d.problems) > problems_before:
                    continue
                if t is d:
                    d.problems.append(_Problem("jump", d.jump_column, f"jump {token!r} is this row itself"))
                    continue
                if t is not None:
                    if state.get(id(t)) == "visiting":
                        d.problems.append(_Problem("jump", d.jump_column, f"jump via {token!r} loops"))
                        continue
                    if not valid(t):
                        reason = "; ".join(p.message for p in t.problems) or "it is not imported"
                        d.problems.append(_Problem(
                            "jump", d.jump_column,
                            f"jump host {token!r} (line {t.row.line}) is not imported: {reason}"))
                        continue
                    hop = hop_for.get(id(t))
                    if hop is None:  # one shared (frozen) hop per jump host: large files reuse a bastion
                        hop = JumpHop(host=t.address, port=t.port, user=t.user, ref=t.name, ref_key=t.key)
                        hop_for[id(t)] = hop
                    hops.append(hop)
                    continue
                try:
                    user, host, port_text = split_target(token)
                    address = validate_address(host)
                    port = parse_port(port_text) if port_text else None
                except ValueError as exc:
                    d.problems.append(_Problem(
                        "jump", d.jump_column,
                        f"jump {token!r} names no row in this file and is not user@host:port ({exc})"))
                    continue
                hops.append(JumpHop(host=address, port=port, user=user))
            d.jump = hops
            ok = not d.problems
            state[id(d)] = "ok" if ok else "bad"
            return ok

        for d in self.drafts:
            valid(d)

    def _emit(self):
        for d in self.drafts:
            if not d.problems:
                try:
                    host = Host(
                        key=d.key, name=d.name, address=d.address, port=d.port, user=d.user,
                        category=d.folder,
                        credentials=Credentials(
                            password=SecretStr(d.password) if d.password else None,
                            key_files=d.key_files,
                            key_passphrase=SecretStr(d.key_passphrase) if d.key_passphrase else None,
                            identity=d.identity, password_manager_ref=d.password_ref, agent=d.agent,
                        ),
                        jump=d.jump, tags=d.tags, description=d.description,
                        source=self.source.provenance(
                            line=d.row.line, section=d.table.section, file=self._file),
                    )
                except ValidationError as exc:
                    for err in exc.errors():
                        loc = str(err["loc"][0]) if err["loc"] else "row"
                        fname = {"address": "host", "category": "folder"}.get(loc, loc)
                        msg = str(err["msg"]).removeprefix("Value error, ")
                        d.problems.append(_Problem(fname, None, msg))
                else:
                    self.result.hosts.append(host)
                    continue
            self._reject(d)

    def _reject(self, d: _Draft):
        match = d.table.match
        self.result.held.add(d.key)
        for p in d.problems:
            column = p.column
            if column is None and p.field in match.columns:
                column = match.names[match.columns[p.field][0]]
            self._diag("error", f"bad-{p.field.replace('_', '-')}", p.message, d, field=column or p.field)
        secret_cols = {i for f in SECRET_FIELDS for i in match.columns.get(f, [])}
        values = ["" if i in secret_cols else v for i, v in enumerate(d.row.values)]
        fmt = d.table.reject_format
        self.result.rejects.append(TabularRejectedRow(
            file=self.file or self.source.display_path, line=d.row.line, header=list(match.header),
            values=values, reason="; ".join(p.message for p in d.problems), section=d.table.section,
            delimiter=fmt.delimiter, encoding=fmt.encoding, quoting=fmt.quoting,
        ))


def map_tables(source, tables: list[Table], *, file: str | None = None) -> SourceResult:
    return TableMapper(source, tables, file=file).run()


# -- writing rejects back -------------------------------------------------------------------------


def write_rejects(rejects: Iterable[RejectedRow], path: str | Path) -> list[Path]:
    """Write rejected rows in their input's format so the user can fix them and feed the file back.

    Rows keep their header and column order; each is preceded by a ``#`` comment with its origin and
    reason (the CSV source skips comment lines). Secret columns are already empty. Rows from an
    Excel workbook are written as CSV. Rejects with different headers go to numbered files next to
    ``path``; the paths written are returned.
    """
    groups: dict[tuple, list[RejectedRow]] = {}
    for r in rejects:
        groups.setdefault((r.file, tuple(r.header)), []).append(r)
    target = Path(path)
    written = []
    for n, ((file, header), rows) in enumerate(groups.items(), start=1):
        out = target if len(groups) == 1 else target.with_name(f"{target.stem}-{n}{target.suffix}")
        first = rows[0]
        delimiter = getattr(first, "delimiter", ",")
        encoding = getattr(first, "encoding", "utf-8")
        none = getattr(first, "quoting", "minimal") == "none"
        opts = {"quoting": csv.QUOTE_NONE, "quotechar": None, "escapechar": None} if none else {}
        with out.open("w", encoding=encoding, errors="replace", newline="") as fh:
            writer = csv.writer(fh, delimiter=delimiter, lineterminator="\r\n", **opts)
            fh.write(f"# rejected rows from {file}; fix them and import this file again. "
                     "Password columns are left empty on purpose.\r\n")
            writer.writerow(list(header))
            for r in rows:
                section = getattr(r, "section", None)
                where = f"sheet {section} row {r.line}" if section else f"line {r.line}"
                fh.write(f"# {where}: {_one_line(r.reason)}\r\n")
                writer.writerow(r.values)
        written.append(out)
    return written


def _one_line(text: str) -> str:
    return " ".join(text.split())

