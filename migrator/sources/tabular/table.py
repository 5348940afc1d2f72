"""What the CSV and Excel sources share: finding the header row, choosing the mapping profile, and
turning rows into hosts, diagnostics and rejects.

A format module only has to produce ``Table``s (a header plus rows of cell text with their line or
sheet-row numbers); everything about the meaning of the columns lives here and in the profile.
Rows are mapped in two passes because a row's ``jump`` column may name a row further down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr, ValidationError

from migrator.errors import MappingUnsure
from migrator.model import (
    Credentials,
    Host,
    JumpHop,
    RejectedRow,
    SourceResult,
    validate_address,
)
from migrator.sources.tabular.headers import header_diagnostics
from migrator.sources.tabular.profiles import (
    CONFIDENT_SCORE,
    SECRET_FIELDS,
    Detection,
    HeaderMatch,
    normalise_header,
    normalise_value,
)
from migrator.sources.tabular.rows import RowDrafter, _cell, _Draft, _Problem, parse_port, split_target


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


class TableMapper(RowDrafter):
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
        self._spec_order = {}

    # diagnostics ---------------------------------------------------------------------------------

    def _diag(self, level, code, message, draft: _Draft | None = None, *, field=None, line=None, entry=None):
        if draft is not None:
            line = draft.row.line
            entry = entry or draft.name or None
        self.result.diagnostics.append(
            self.source.diag(level, code, message, line=line, field=field, entry=entry, file=self._file)
        )

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
                            self._diag(
                                "warning",
                                "column-check",
                                chk.message.replace("{value}", v),
                                d,
                                field=table.match.names[i],
                            )
                self.drafts.append(d)
            if shifted_rows:
                self._diag(
                    "warning",
                    "extra-fields",
                    f"{shifted_rows} row(s) have more values than the header has columns (first on "
                    f"line {first_shift}); the extra values are ignored",
                    line=first_shift,
                )
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
                prefix = (
                    list(d.table.match.profile.fields["folder"].prefix)
                    if "folder" in d.table.match.profile.fields
                    else []
                )
                d.folder = [*prefix, *path, *d.folder[len(prefix) :]]
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
                self._diag(
                    "warning",
                    "duplicate-name",
                    f"{what} {base!r} is also used on line {first_line[base]}; this entry is kept "
                    f"with the key suffix #{n}",
                    d,
                )
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
            hits = (
                by_name.get(token)
                or by_fold.get(token.casefold())
                or (by_address.get(token.casefold()) if "@" not in token else None)
            )
            if not hits:
                gone = self.skipped.get(token.casefold())
                if gone is not None:
                    d.problems.append(
                        _Problem(
                            "jump",
                            d.jump_column,
                            f"jump host {token!r} (line {gone.row.line}) is not imported: {gone.skipped}",
                        )
                    )
                    return d
                return None
            if len(hits) > 1:
                lines = ", ".join(str(h.row.line) for h in hits)
                self._diag(
                    "warning",
                    "ambiguous-jump",
                    f"jump {token!r} matches the rows on lines {lines}; using line {hits[0].row.line}",
                    d,
                    field=d.jump_column,
                )
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
                        d.problems.append(
                            _Problem(
                                "jump",
                                d.jump_column,
                                f"jump host {token!r} (line {t.row.line}) is not imported: {reason}",
                            )
                        )
                        continue
                    hop = hop_for.get(id(t))
                    if hop is None:  # one shared (frozen) hop per jump host: large files reuse a bastion
                        hop = JumpHop(host=t.address, port=t.port, user=t.user, ref=t.name, ref_key=t.key)
                        hop_for[id(t)] = hop
                    hops.append(hop)
                    continue
                shown = token.rpartition("@")[2]
                try:
                    user, host, port_text, secret = split_target(token)
                    address = validate_address(host)
                    port = parse_port(port_text) if port_text else None
                except ValueError as exc:
                    d.problems.append(
                        _Problem(
                            "jump",
                            d.jump_column,
                            f"jump {shown!r} names no row in this file and is not user@host:port ({exc})",
                        )
                    )
                    continue
                if secret is not None:
                    d.problems.append(
                        _Problem(
                            "jump",
                            d.jump_column,
                            f"jump host {shown!r} is given with a password (user:password@host); "
                            "a jump host's password goes in its own row, not in the jump column",
                        )
                    )
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
                        key=d.key,
                        name=d.name,
                        address=d.address,
                        port=d.port,
                        user=d.user,
                        category=d.folder,
                        credentials=Credentials(
                            password=SecretStr(d.password) if d.password else None,
                            key_files=d.key_files,
                            key_passphrase=SecretStr(d.key_passphrase) if d.key_passphrase else None,
                            identity=d.identity,
                            password_manager_ref=d.password_ref,
                            agent=d.agent,
                        ),
                        jump=d.jump,
                        tags=d.tags,
                        description=d.description,
                        source=self.source.provenance(line=d.row.line, section=d.table.section, file=self._file),
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
        for p in d.problems:
            column = p.column
            if column is None and p.field in match.columns:
                column = match.names[match.columns[p.field][0]]
            self._diag("error", f"bad-{p.field.replace('_', '-')}", p.message, d, field=column or p.field)
        secret_cols = {i for f in SECRET_FIELDS for i in match.columns.get(f, [])}
        if self._shifted(d):  # any cell may hold a value that belongs to a secret column
            values = [""] * len(match.header)
        else:
            values = ["" if i in secret_cols else v for i, v in enumerate(d.row.values)]
        # a secret column's header default (SecureCRT's "password=...") is left out: the name alone
        header = [match.names[i] if i in secret_cols else cell for i, cell in enumerate(match.header)]
        fmt = d.table.reject_format
        self.result.held.add(d.key)
        self.result.rejects.append(
            TabularRejectedRow(
                file=self.file or self.source.display_path,
                line=d.row.line,
                header=header,
                values=values,
                reason="; ".join(p.message for p in d.problems),
                section=d.table.section,
                delimiter=fmt.delimiter,
                encoding=fmt.encoding,
                quoting=fmt.quoting,
            )
        )


def unsure_reason(table: Table) -> str | None:
    """Why a table must not be imported without ``--mapping``, or None.

    A weak best guess (score below ``CONFIDENT_SCORE``) would import columns by accident, and a host
    address fed by two columns (``Hostname`` and ``IP Address``) would silently read only one.
    """
    det, match = table.detection, table.match
    where = f"sheet {table.section!r}, " if table.section else ""
    if not det.confident:
        return (
            f"{where}the header on line {table.header_line} fits no mapping profile well (best "
            f"{match.profile.name!r}, score {match.score:.2f} < {CONFIDENT_SCORE})"
        )
    shared = match.shared_fields().get("host")
    if shared and not det.forced:
        cols = " and ".join(repr(match.names[i]) for i in shared)
        return f"{where}columns {cols} on line {table.header_line} both fit the host address"
    return None


def map_tables(source, tables: list[Table], *, file: str | None = None) -> SourceResult:
    """Map the tables of a file being imported; an unsure mapping stops the file (``mapping check`` previews)."""
    for table in tables:
        reason = unsure_reason(table)
        if reason:
            raise MappingUnsure(
                f"{file or source.display_path}: {reason}; nothing was imported: pass --mapping "
                "(see 'xpipe-migrate mapping check')",
                source=source,
            )
    return TableMapper(source, tables, file=file).run()
