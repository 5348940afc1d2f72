"""Tabby's ``config.yaml``: SSH profiles, their groups and jump hosts, secrets from the vault.

The key of a profile is its ``id`` (Tabby's own, kept across renames and group moves); a config
older than version 4 has profiles without one (Tabby gives them random ids on its next start),
which are keyed by name (``#2``, ``#3`` for repeats). A vault (``vault:``) is opened with the
passphrase from ``password_file`` or ``XPIPE_MIGRATE_SOURCE_PASSWORD``; with ``encrypted: true``
the whole config is inside it (``ConfigService.maybeDecryptConfig``, Eugeny/tabby 14e2d60b9b6d).
A wrong passphrase stops the run with one line.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from migrator.errors import InputError
from migrator.model import Credentials, Diagnostic, Host, JumpHop, SourceResult
from migrator.sources.base import FileSource
from migrator.sources.limits import read_source_bytes
from migrator.sources.numbers import whole_number
from migrator.sources.secrets import SecretOptions, source_secret, wrong_secret

if TYPE_CHECKING:  # the readers are imported when a config is read, so detecting other formats stays cheap
    from migrator.sources.tabby.profiles import Entry

#: the ids of the profiles Tabby makes itself from ~/.ssh/config and ssh-profiles.yaml
BUILTIN_PREFIXES = ("openssh-config:", "file-config:")
MAX_KEY_FILE = 1024 * 1024


class TabbyOptions(SecretOptions):
    """``password_file``: the vault passphrase (else ``XPIPE_MIGRATE_SOURCE_PASSWORD``)."""


class TabbySource(FileSource):
    """SSH profiles of a Tabby ``config.yaml`` (plain or with ``encrypted: true``)."""

    format = "tabby"
    summary = "Tabby config.yaml: SSH profiles, groups, jump hosts; the vault opened with its passphrase"
    Options = TabbyOptions

    @classmethod
    def example(cls, folder: Path) -> str:
        path = Path(folder) / "config.yaml"
        path.write_text(
            "profiles:\n  - type: ssh\n    name: web-01\n    options:\n      host: 192.0.2.11\n      user: deploy\n"
            "    id: ssh:custom:web-01:3f1c9a52-7d4e-4b8a-9e61-0c2d5b7a8f10\n    group: 6f7b2a1e-grp\n"
            "groups:\n  - id: 6f7b2a1e-grp\n    name: Web\nversion: 8\n",
            encoding="utf-8",
        )
        return path.as_posix()

    @classmethod
    def detect(cls, path: Path, head: bytes) -> int:
        if path.is_dir() or path.suffix.lower() not in (".yaml", ".yml"):
            return 0
        text = head.decode("utf-8", errors="replace")
        lines = {line.split(":", 1)[0] for line in text.splitlines() if line[:1].isalpha() and ":" in line}
        if "encrypted" in lines and "vault" in lines:
            return 95
        if "profiles" in lines and ({"groups", "profileDefaults", "hotkeys", "vault"} & lines or "type: ssh" in text):
            return 95 if path.name.lower() == "config.yaml" else 85
        return 0

    def read(self) -> SourceResult:
        from migrator.sources.tabby.config import migrate_connections

        self._diags: list[Diagnostic] = []
        self._partial = False
        self.inputs = []
        config = self._config()
        vault = self._vault
        groups = {
            g["id"]: g for g in _list(config.get("groups")) if isinstance(g, dict) and isinstance(g.get("id"), str)
        }
        raw_profiles = [(p, False) for p in _list(config.get("profiles"))]
        version = config.get("version") if isinstance(config.get("version"), int) else 0
        if version < 3:  # ConfigService.migrate: ssh.connections became profiles in version 3
            raw_profiles += [(p, True) for p in migrate_connections(config)]
        entries = self._entries(raw_profiles, config, groups)
        by_id = {e.ident: e for e in reversed(entries) if e.ident}
        by_name = {e.name: e for e in reversed(entries) if e.legacy}
        ssh = [e for e in entries if self._is_candidate(e)]
        agent_type = (config.get("ssh") or {}).get("agentType") if isinstance(config.get("ssh"), dict) else None
        partial_hosts: dict[str, dict] = {}
        held: set[str] = set()
        for e in ssh:
            kw = self._host_fields(e, vault, agent_type)
            if kw is None:
                held.add(e.key)
            else:
                partial_hosts[e.key] = kw
            self._flush(e)
        hosts = self._jumps(ssh, partial_hosts, held, by_id, by_name)
        return SourceResult(hosts=hosts, diagnostics=list(dict.fromkeys(self._diags)), held=held, partial=self._partial)

    # ---- the file, the vault ------------------------------------------------------------------

    def _config(self) -> dict:
        from migrator.sources.tabby.vault import VaultFormatError, WrongPassphrase, open_vault
        from migrator.sources.tabby.yaml_js import parse_js_yaml

        data = read_source_bytes(self.path, self.display_path)
        if data.startswith(codecs.BOM_UTF8):
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            self._diag(
                "warning", "encoding", f"bytes at offset {exc.start} are not UTF-8; read as U+FFFD as Tabby does"
            )
            text = data.decode("utf-8", errors="replace")
        doc, problems = parse_js_yaml(text)
        for problem in problems:
            self._diag(problem.level, "yaml", problem.message, line=problem.line)
            self._partial = self._partial or problem.level == "error"
        if doc is None:
            doc = {}
        if not isinstance(doc, dict):
            raise InputError(f"{self.display_path}: not a Tabby config (its top level is not a mapping)")
        self._vault = None
        stored = doc.get("vault")
        if stored is None:
            if doc.get("encrypted") is True:
                raise InputError(f"{self.display_path}: encrypted is true but there is no vault to decrypt")
            if getattr(self.options, "password_file", None) is not None:
                self._diag("warning", "no-vault", "this config has no vault; the password file is not used")
            return doc
        secret = source_secret(self.options, self.display_path)
        if secret is None:
            raise wrong_secret(self.display_path, None, "vault passphrase")
        try:
            self._vault = open_vault(stored, secret.value)
        except WrongPassphrase:
            raise wrong_secret(self.display_path, secret, "vault passphrase") from None
        except VaultFormatError as exc:
            raise InputError(f"{self.display_path}: the vault cannot be read: {exc}") from None
        if doc.get("encrypted") is True:
            if self._vault.config is None:
                raise InputError(f"{self.display_path}: the config is encrypted but its vault holds no config")
            return self._vault.config
        return doc

    def _diag(self, level, code, message, **kw) -> None:
        self._diags.append(self.diag(level, code, message, **kw))

    def _flush(self, e: Entry) -> None:
        for level, code, message, field in e.problems:
            self._diag(level, code, message, line=e.line, field=field, entry=e.entry)
        e.problems.clear()

    # ---- profiles ------------------------------------------------------------------------------

    def _entries(self, raw_profiles, config: dict, groups: dict) -> list[Entry]:
        from migrator.sources.tabby.config import effective, group_path, ssh_defaults
        from migrator.sources.tabby.profiles import Entry, text_field

        out: list[Entry] = []
        counts: dict[str, int] = {}
        fallback = getattr(config, "lines", {}).get("profiles")  # a list item has no line of its own
        for raw, legacy in raw_profiles:
            line = _line(raw) or fallback
            if not isinstance(raw, dict):
                self._diag("error", "invalid-profile", "a profiles entry is not a mapping; not read", line=line)
                self._partial = True
                continue
            ident = raw.get("id") if isinstance(raw.get("id"), str) and raw.get("id") else None
            name = text_field(raw.get("name")) or ""
            base = ident or name or "(unnamed)"
            count = counts[base] = counts.get(base, 0) + 1
            key = self.key(base if count == 1 else f"{base}#{count}")
            group_id = raw.get("group")
            category, looped = group_path(group_id, groups) if group_id else ([], False)
            entry = Entry(
                raw=raw,
                line=line,
                key=key,
                name=name.strip() or base,
                ident=ident if count == 1 else None,
                category=category,
                options={},
                profile_type=raw.get("type") if isinstance(raw.get("type"), str) else "",
                legacy=legacy,
            )
            if looped:
                entry.problem(
                    "warning", "group-loop", "its group's parents form a loop; the folder path stops there", "group"
                )
            if ident and count > 1:
                entry.problem(
                    "warning",
                    "duplicate-id",
                    f"another profile has the same id; this one is keyed {base}#{count}",
                    "id",
                )
            if not name.strip():
                entry.problem("warning", "no-name", "the profile has no name; its id is used", "name")
            defaults = ssh_defaults(config, groups.get(group_id) if isinstance(group_id, str) else None)
            entry.options = effective(raw, defaults)["options"]
            if not isinstance(raw.get("options", {}), dict):
                entry.problem("error", "invalid-value", "not imported: options is not a mapping", "options")
            unreadable = _unreadable({**raw, "options": entry.options})
            if unreadable is not None:
                where, reason = unreadable
                entry.problem(
                    "error",
                    "unreadable-value",
                    f"not imported: {where} is a value this reader does not take ({reason})",
                    where,
                )
            out.append(entry)
        return out

    def _is_candidate(self, e: Entry) -> bool:
        if e.profile_type == "ssh" and not e.raw.get("isTemplate") and not e.raw.get("isBuiltin"):
            return True
        what = "a template" if e.raw.get("isTemplate") else f"a {e.profile_type[:20] or 'typeless'} profile"
        level = "warning" if e.profile_type in ("", "ssh") else "info"
        self._diag(level, "not-ssh", f"not imported: {what}", line=e.line, field="type", entry=e.entry)
        return False

    def _read_key(self, path: str | None) -> bytes | None:
        if not path:
            return None
        file = Path(path)
        if not file.is_file():
            return None
        try:
            data = read_source_bytes(file, path, limit=MAX_KEY_FILE)
        except InputError:
            return None
        self.inputs.append(file)
        return data

    def _host_fields(self, e: Entry, vault, agent_type) -> dict | None:
        from migrator.sources.tabby.profiles import credentials, proxies, ssh_options, text_field

        if any(level == "error" for level, *_ in e.problems):
            return None
        o = e.options
        host = text_field(o.get("host"))
        if not host or not host.strip():
            e.problem("error", "no-host", "not imported: the host is empty", "options.host")
            return None
        port = o.get("port")
        if port is None:
            port = 22
        if isinstance(port, str) and port.strip().isascii() and port.strip().isdigit():
            port = whole_number(port)
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            e.problem("error", "invalid-port", "not imported: the port is not a number from 1 to 65535", "options.port")
            return None
        kw = credentials(e, vault, agent_type or "auto", self._read_key)
        if kw is None:
            return None
        command, use_jump = proxies(e)
        return {
            "address": host.strip(),
            "port": port,
            "user": text_field(o.get("user")),
            "credentials": kw,
            "proxy_command": command,
            "use_jump": use_jump,
            "ssh_options": ssh_options(e),
        }

    def _jumps(self, ssh: list[Entry], fields: dict, held: set[str], by_id: dict, by_name: dict) -> list[Host]:
        """Resolve every jump chain by id; loops, missing ids and unimportable hops hold the profile."""
        from migrator.sources.tabby.profiles import Entry

        by_key = {e.key: e for e in ssh}
        target: dict[str, Entry | str] = {}
        for e in ssh:
            if e.key not in fields or not fields[e.key]["use_jump"]:
                continue
            ref = e.options.get("jumpHost")
            found = (by_name if e.legacy else by_id).get(ref) if isinstance(ref, str) else None
            if found is None:
                if isinstance(ref, str) and ref.startswith(BUILTIN_PREFIXES):
                    why = "is one Tabby makes from ~/.ssh/config or ssh-profiles.yaml (import that with ssh_config)"
                else:
                    why = "names no profile in this config"
                target[e.key] = f"its jump host {str(ref)[:80]!r} {why}"
            elif found.key not in by_key:
                target[e.key] = f"its jump host {found.name!r} is not an SSH profile"
            else:
                target[e.key] = found
        result: dict[str, Host | None] = {}

        def resolve(e: Entry, stack: tuple[str, ...]) -> Host | None:
            if e.key in result:
                return result[e.key]
            if e.key not in fields:  # already reported and held
                result[e.key] = None
                return None
            t = target.get(e.key)
            hops: list[JumpHop] = []
            reason = t if isinstance(t, str) else None
            if isinstance(t, Entry):
                if t.key == e.key or t.key in stack:
                    reason = f"its jump chain loops back through {t.name!r}"
                else:
                    jump = resolve(t, (*stack, e.key))
                    if jump is None:
                        reason = f"its jump host {t.name!r} is not imported (see its error)"
                    else:
                        hops = [JumpHop(host=jump.address, port=jump.port, user=jump.user, ref=t.name, ref_key=t.key)]
            host = None
            if reason is not None:
                self._diag(
                    "error",
                    "broken-jump",
                    f"not imported: {reason}",
                    line=e.line,
                    field="options.jumpHost",
                    entry=e.entry,
                )
            else:
                host = self._make_host(e, fields[e.key], hops)
            if host is None:
                held.add(e.key)
            result[e.key] = host
            return host

        return [h for h in (resolve(e, ()) for e in ssh) if h is not None]

    def _make_host(self, e: Entry, f: dict, jump: list[JumpHop]) -> Host | None:
        try:
            return Host(
                key=e.key,
                name=e.name,
                address=f["address"],
                port=f["port"],
                user=f["user"],
                category=e.category,
                credentials=Credentials(**f["credentials"]),
                jump=jump,
                ssh_options=f["ssh_options"],
                proxy_command=f["proxy_command"],
                source=self.provenance(line=e.line, section=e.ident),
            )
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = str(err["loc"][0]) if err["loc"] else ""
            names = {"address": "options.host", "user": "options.user", "name": "name"}
            message = err["msg"].removeprefix("Value error, ")
            self._diag(
                "error",
                "invalid-value",
                f"not imported: {message}",
                line=e.line,
                field=names.get(loc, loc),
                entry=e.entry,
            )
            return None


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _unreadable(profile: dict) -> tuple[str, str] | None:
    """The first field of ``profile`` (dotted path) holding a value the YAML reader could not take, and why."""
    from migrator.sources.ansible.yaml_scalars import Unsupported

    stack: list[tuple[str, object]] = [(str(k), v) for k, v in reversed(profile.items())]
    while stack:
        where, value = stack.pop()
        if isinstance(value, Unsupported):
            return where[:200], value.reason
        if isinstance(value, dict):
            stack.extend((f"{where}.{k}", v) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", v) for i, v in reversed(list(enumerate(value))))
    return None


def _line(raw) -> int | None:
    if isinstance(raw, dict) and "_line" in raw:
        return raw["_line"]
    lines = getattr(raw, "lines", None)
    return min(lines.values()) if lines else None
