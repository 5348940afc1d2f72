"""One row on its way to a Host: reading each field through the profile, converting and checking
values (ports, booleans, ``user@host:port`` targets, key paths, folders)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import unquote

from migrator.model import (
    JumpHop,
    validate_address,
)
from migrator.sources.tabular.profiles import (
    FieldSpec,
    normalise_value,
)
from migrator.userpath import expand_home

if TYPE_CHECKING:
    from migrator.sources.tabular.table import RawRow, Table

_TRUE = {"true", "yes", "y", "1", "x", "on", "enabled", "ja", "wahr", "oui"}
_FALSE = {"false", "no", "n", "0", "off", "disabled", "nein", "falsch", "non", "-"}
_THOUSANDS = re.compile(r"^(\d{1,2})[.,' \u00a0\u202f](\d{3})$")
_URL_SCHEME = re.compile(r"^(?:ssh|sftp|scp)://", re.IGNORECASE)
_WINDOWS_ABS = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\)")
#: port and user are also filled from ``user@host:port`` when the profile has no column for them
_BARE_SPECS = {"port": FieldSpec(name="port"), "user": FieldSpec(name="user")}
#: Fields read from one column each, in the order they depend on each other (host before port/user).
_FIELD_ORDER = (
    "id",
    "parent",
    "node_type",
    "enabled",
    "protocol",
    "host",
    "port",
    "user",
    "password",
    "key_file",
    "key_passphrase",
    "identity",
    "password_ref",
    "agent",
    "jump",
)


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
AGENTS = {
    "pageant": "pageant",
    "openssh": "openssh",
    "ssh-agent": "openssh",
    "sshagent": "openssh",
    "agent": "openssh",
    "yes": "openssh",
    "true": "openssh",
}


def parse_bool(text: str) -> bool:
    t = normalise_value(text)
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    raise ValueError(f"{text!r} is not yes/no, true/false or 1/0")


def split_target(text: str) -> tuple[str | None, str, str | None, str | None]:
    """``user@host:port`` or ``ssh://user@host:port/`` -> (user, host, port, password).

    IPv6 needs brackets when a port follows. ``user:password@host`` gives the password apart, never
    as part of the user name; error messages quote only what follows the ``@``.
    """
    user = password = None
    rest = text.strip()
    scheme = _URL_SCHEME.match(rest)
    if scheme:
        rest = rest[scheme.end() :].rstrip("/")
    if "@" in rest:
        user, _, rest = rest.rpartition("@")
        user, colon, secret = user.partition(":")
        password = secret if colon else None
        if scheme:  # a URI's user information is percent-encoded
            user, password = unquote(user), unquote(password) if password is not None else None
        user = user.strip() or None
    port = None
    if rest.startswith("["):
        host, sep, tail = rest[1:].partition("]")
        if not sep or (tail and not tail.startswith(":")):
            raise ValueError(f"{rest!r} is not host:port")
        port = tail[1:] or None
    elif rest.count(":") == 1:
        host, _, port = rest.partition(":")
        port = port or None
    else:
        host = rest
    return user, host.strip(), port, password


def split_list(text: str, separators: tuple[str, ...]) -> list[str]:
    parts = [text]
    for sep in separators:
        parts = [p for chunk in parts for p in chunk.split(sep)]
    return [p.strip() for p in parts if p.strip()]


def _ordered_specs(profile) -> list[tuple[str, FieldSpec]]:
    """The specs of ``_FIELD_ORDER`` a profile reads, in that order."""
    out = []
    for fname in _FIELD_ORDER:
        spec = profile.fields.get(fname) or _BARE_SPECS.get(fname)
        if spec is not None:
            out.append((fname, spec))
    return out


def _cell(values: list[str], i: int) -> str:
    return values[i].strip() if i < len(values) else ""


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
    address_password: str | None = None  # from user:password@host
    problems: list[_Problem] = field(default_factory=list)
    #: (level, code, message, column) to report once the row's name is known
    notes: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    jump: list[JumpHop] = field(default_factory=list)


class RowDrafter:
    """The per-row half of ``TableMapper`` (mixed in): cell text to a ``_Draft``."""

    #: id(profile) -> its specs in reading order; set per mapper by ``TableMapper``
    _spec_order: dict[int, list[tuple[str, FieldSpec]]]

    def _raw(self, table: Table, spec: FieldSpec, values: list[str]) -> tuple[str, str | None, int | None]:
        """The text for ``spec``: fixed value, first non-blank matched column, header default, default."""
        if spec.value is not None:
            return spec.value, None, None
        match = table.detection.match
        idxs = match.columns.get(spec.name)
        if idxs:
            n = len(values)
            for i in idxs:
                if i < n:
                    v = values[i].strip()
                    if v:
                        return v, match.names[i], i
            column, first = match.names[idxs[0]], idxs[0]
        else:
            column = first = None
        if spec.name in match.header_defaults:
            return match.header_defaults[spec.name], column, None
        if spec.default is not None:
            return spec.default, column, None
        return "", column, first

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

        order = self._spec_order.get(id(profile))
        if order is None:  # once per profile, not per row (the table holds the profile alive)
            order = self._spec_order[id(profile)] = _ordered_specs(profile)
        for fname, spec in order:
            if spec.join:
                self._join_list(d, spec, values)
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

        if d.address_password is not None:
            if d.password is None:
                d.password = d.address_password
                d.notes.append(
                    (
                        "warning",
                        "password-in-address",
                        "the address holds a password (user:password@host); it is imported as the password",
                        None,
                    )
                )
            elif d.password != d.address_password:
                d.notes.append(
                    (
                        "warning",
                        "password-in-address",
                        "the address holds a password that differs "
                        "from the password column; the password column is used",
                        None,
                    )
                )

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
            texts = [(spec.template.format(column=c, value=v) if spec.template else v) for c, v in parts if v]
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
                    user, host, port_text, d.address_password = split_target(text)
                except ValueError as exc:
                    self._bad(d, "host", column, str(exc), index)
                    return
                if d.address_password is not None:
                    d.fields["host"] = host
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
                d.notes.append(
                    (
                        "warning",
                        "port-conflict",
                        f"host names port {from_host} but the port column says {text}; using the port column",
                        column,
                    )
                )
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

    def _join_list(self, d: _Draft, spec: FieldSpec, values: list[str]) -> None:
        """``key_file`` / ``jump`` with ``join``: the items of every matched column, in the profile's order."""
        for column, text in self._parts(d.table, spec, values):
            if spec.name == "key_file":
                items = split_list(text, spec.separators) if spec.separators else [text]
                d.key_files.extend(self._key_path(d, item, column) for item in items)
            elif spec.name == "jump":
                d.jump_tokens.extend(split_list(text, spec.separators if spec.separators is not None else (",",)))
                d.jump_column = d.jump_column or column

    def _key_path(self, d: _Draft, item: str, column: str | None) -> str:
        """Relative key paths are relative to the input file's folder; ``~`` is expanded."""
        if _WINDOWS_ABS.match(item):
            d.notes.append(
                (
                    "warning",
                    "key-file-windows",
                    f"key file {item} is a Windows path; it must exist where XPipe runs",
                    column,
                )
            )
            return item
        path = expand_home(item)
        if not path.is_absolute():
            path = (self.base_dir / path).resolve()
        if not path.is_file():
            d.notes.append(("warning", "key-file-missing", f"key file {path} does not exist on this machine", column))
        return str(path)

    def _folder(self, d: _Draft, spec: FieldSpec, values: list[str]) -> list[str]:
        seps = spec.separators if spec.separators is not None else ("/", "\\")
        if spec.join:  # several columns build the path, e.g. Site + Env -> Berlin/prod
            parts = [p for _, text in self._parts(d.table, spec, values) for p in split_list(text, seps)]
        else:
            text = self._raw(d.table, spec, values)[0]
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
                found = (
                    m.group("folder")
                    if "folder" in spec.regex.groupindex
                    else (m.group(1) if spec.regex.groups else m.group(0))
                )
                parts = split_list(found or "", seps)
        return [*spec.prefix, *parts] if parts or spec.prefix else []
