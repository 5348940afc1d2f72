"""Ásbrú Connection Manager and PAC Manager: ``asbru.yml``, ``pac.yml`` and exported connections.

Ásbrú writes ``~/.config/asbru/asbru.yml`` when it quits (``lib/PACMain.pm`` ``_quitProgram`` calls
``_exporter('yaml')``: the whole configuration with ``__PAC__EXPORTED__FULL__: 1``, passwords
encrypted) and the same file is what "Export settings" saves. "Export" on selected connections
writes them alone (``__exportNodes``): new UUIDs, the root ``__PAC__EXPORTED__``, names with
`` - copy`` appended, passwords encrypted only on request. PAC Manager, Ásbrú's predecessor, wrote
``~/.config/pac/pac.yml`` in the same layout (Ásbrú's ``utils/pac2asbru.pl`` only renames it).

The key of a connection is its UUID, so a rename or a move to another folder updates the XPipe
entry. A partial export gives every connection a new UUID each time: sync from ``asbru.yml``.
No secret is needed: every version encrypts with a passphrase built into the program (``crypto``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from migrator.errors import InputError
from migrator.escape import clipped
from migrator.model import Host, SourceResult
from migrator.sources.base import FileSource, SourceOptions
from migrator.sources.limits import read_source_bytes

if TYPE_CHECKING:  # the readers are imported when a file is read, so detecting other formats stays cheap
    from migrator.sources.asbru.hosts import HostBuilder, Note
    from migrator.sources.asbru.tree import Placed

_BUILTIN = {"__PAC_SHELL__": "Ásbrú's built-in local shell", "__PAC__QUICK__CONNECT__": "Ásbrú's quick-connect entry"}


class AsbruOptions(SourceOptions):
    #: also import SFTP connections as SSH hosts
    include_sftp: bool = False


class AsbruSource(FileSource):
    """Connections from an Ásbrú ``asbru.yml``, a PAC Manager ``pac.yml`` or an Ásbrú export.

    Options: ``include_sftp`` (import SFTP connections as SSH hosts; default off).
    """

    format = "asbru"
    summary = "Ásbrú Connection Manager / PAC Manager asbru.yml, pac.yml and exports"
    Options = AsbruOptions

    @classmethod
    def detect(cls, path: Path, head: bytes) -> int:
        if path.is_dir() or b"\x00" in head:
            return 0
        text_head = head.decode("utf-8", errors="replace")
        if "__PAC__" in text_head and re.search(r"(?m)^---", text_head):
            return 95
        if path.name.lower() in ("asbru.yml", "pac.yml") and text_head.startswith("---"):
            return 90
        if re.search(r"(?m)^ +_is_group: ", text_head) and re.search(
            r"(?m)^ +(auth type|passphrase user|KPX title regexp): ", text_head
        ):
            return 85
        return 0

    @classmethod
    def example(cls, folder: Path) -> str:
        path = Path(folder) / "asbru.yml"
        path.write_text(
            "---\n__PAC__EXPORTED__FULL__: 1\ndefaults:\n  proxy: ''\nenvironments:\n"
            "  __PAC__ROOT__:\n    _is_group: 1\n    children:\n      0b8e4c1e-7d1a-4f7e-9a51-3c2e0f1a2b3c: 1\n"
            "    name: My Connections\n"
            "  0b8e4c1e-7d1a-4f7e-9a51-3c2e0f1a2b3c:\n    auth type: userpass\n    ip: web01.example.com\n"
            "    method: SSH\n    name: web01\n    parent: __PAC__ROOT__\n    pass: ''\n    port: 22\n"
            "    user: deploy\n",
            encoding="utf-8",
        )
        return str(path)

    def read(self) -> SourceResult:
        from migrator.sources.asbru.hosts import HostBuilder
        from migrator.sources.asbru.perl_yaml import load
        from migrator.sources.asbru.tree import walk

        data = read_source_bytes(self.path, self.display_path)
        try:
            yaml_text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(f"{self.display_path}: byte {exc.start} is not UTF-8; YAML.pm writes UTF-8") from None
        doc, problems = load(yaml_text)
        result = SourceResult()
        for p in problems:
            result.diagnostics.append(self.diag(p.level, "yaml", p.message, line=p.line))
        if any(p.level == "error" for p in problems):
            result.partial = True
        if not isinstance(doc, Mapping):
            raise InputError(f"{self.display_path}: not an Ásbrú or PAC Manager file (no mapping at the top)")
        envs, root, export = self._environments(doc)
        globals_ = self._globals(doc.get("defaults"), result)
        defaults = doc.get("defaults") if isinstance(doc.get("defaults"), Mapping) else {}
        builder = HostBuilder(defaults, globals_, export)
        placed, tree_problems = walk(envs, root)
        lines = getattr(envs, "lines", {})
        for tp in tree_problems:
            entry = _entry_name(envs, tp.uuid)
            result.diagnostics.append(self.diag(tp.level, tp.code, tp.message, line=lines.get(tp.uuid), entry=entry))
            if tp.level == "error" and tp.uuid:
                result.partial = True
        if export:
            result.diagnostics.append(
                self.diag(
                    "info",
                    "export",
                    "a partial export: ' - copy' is taken off the names Ásbrú's export added, and its UUIDs are new "
                    "on every export, so sync from asbru.yml itself to keep entries in step",
                )
            )
        for uuid in _BUILTIN:
            if uuid in envs:
                result.diagnostics.append(
                    self.diag(
                        "info",
                        "built-in",
                        f"{_BUILTIN[uuid]} is not a server; not imported",
                        line=lines.get(uuid),
                        entry=uuid,
                    )
                )
        for place in placed:
            if export:  # __dupNodes appends " - copy" to every exported group too
                place.folder = [n.removesuffix(" - copy") for n in place.folder]
            self._one(envs, place, lines.get(place.uuid), builder, result)
        result.diagnostics = list(dict.fromkeys(result.diagnostics))
        return result

    # ---- file layout ------------------------------------------------------------------------------

    def _environments(self, doc: Mapping) -> tuple[Mapping, str | None, bool]:
        """The environments mapping, the root of its tree and whether this is a partial export."""
        from migrator.sources.asbru.tree import EXPORT_ROOT, ROOT

        envs = doc.get("environments")
        if isinstance(envs, Mapping):
            return envs, (ROOT if isinstance(envs.get(ROOT), Mapping) else None), False
        if isinstance(doc.get(EXPORT_ROOT), Mapping):
            return doc, EXPORT_ROOT, True
        raise InputError(
            f"{self.display_path}: not an Ásbrú or PAC Manager file (no 'environments' and no exported connections)"
        )

    def _globals(self, defaults, result: SourceResult) -> dict[str, str]:
        """``defaults/global variables``: ``{name: {value, hidden}}``, hidden values encrypted."""
        from migrator.sources.asbru.crypto import NotDecryptable, reveal
        from migrator.sources.asbru.tree import perl_scalar, perl_true

        out: dict[str, str] = {}
        table = defaults.get("global variables") if isinstance(defaults, Mapping) else None
        if not isinstance(table, Mapping):
            return out
        for name, item in table.items():
            if not isinstance(item, Mapping) or not perl_scalar(item.get("value")):
                continue
            value = "" if item.get("value") is None else str(item.get("value"))
            if perl_true(item.get("hidden")):
                try:
                    value = reveal(value)
                except NotDecryptable:
                    result.diagnostics.append(
                        self.diag(
                            "warning",
                            "global-variable",
                            "a hidden global variable cannot be decrypted; it stays undefined",
                            field=f"global variables/{name}",
                        )
                    )
                    continue
            out[str(name)] = value
        return out

    # ---- one connection ---------------------------------------------------------------------------

    def _one(self, envs: Mapping, place: Placed, line: int | None, builder: HostBuilder, result: SourceResult) -> None:
        from migrator.sources.asbru.hosts import SFTP, SSH, EntryError, Note, method_of, text
        from migrator.sources.asbru.tree import perl_scalar

        env = envs[place.uuid]
        entry = "/".join([*place.folder, _entry_name(envs, place.uuid) or place.uuid])
        key = self.key(place.uuid)
        if not perl_scalar(env.get("name")):
            result.held.add(key)
            result.diagnostics.append(
                self.diag(
                    "error",
                    "invalid-entry",
                    "not imported: its name is not a text value the YAML reader takes",
                    line=line,
                    field="name",
                    entry=place.uuid,
                )
            )
            return
        if not isinstance(env.get("name"), str) or not env.get("name").strip():
            result.diagnostics.append(
                self.diag(
                    "info",
                    "no-name",
                    "not imported: it has no name, and Ásbrú drops such an entry",
                    line=line,
                    entry=place.uuid,
                )
            )
            return
        method = method_of(env)
        if method not in (SSH, SFTP) or (method == SFTP and not self.options.include_sftp):
            hint = "; set include_sftp to import SFTP connections as SSH hosts" if method == SFTP else ""
            target = text(env, "ip") if isinstance(env.get("ip"), str) else ""
            shown = f" to {clipped(target)!r}" if target and "<" not in target else ""
            result.diagnostics.append(
                self.diag(
                    "warning",
                    "not-ssh",
                    f"not imported: a {clipped(method, 40)} connection{shown}{hint}",
                    line=line,
                    field="method",
                    entry=entry,
                )
            )
            return
        notes: list[Note] = []
        if method == SFTP:
            notes.append(
                Note("info", "sftp-as-ssh", "SFTP connection imported as an SSH host (include_sftp)", "method")
            )
        _automation_notes(env, notes)
        try:
            host: Host | None = builder.build(place.uuid, env, place.folder, key, self.provenance(line=line), notes)
        except EntryError as exc:
            result.diagnostics.append(
                self.diag(exc.level, "invalid-entry", str(exc), line=line, field=exc.field, entry=entry)
            )
            if exc.level == "error":
                result.held.add(key)
            host = None
        for note in notes:
            result.diagnostics.append(
                self.diag(note.level, note.code, note.message, line=line, field=note.field, entry=entry)
            )
        if host is not None:
            result.hosts.append(host)


def _entry_name(envs: Mapping, uuid: str | None) -> str | None:
    env = envs.get(uuid) if uuid else None
    name = env.get("name") if isinstance(env, Mapping) else None
    return name if isinstance(name, str) and name.strip() else uuid


def _automation_notes(env: Mapping, notes: list[Note]) -> None:
    """Ásbrú runs things around a connection that XPipe does not: say so once per kind."""
    from migrator.sources.asbru.hosts import Note, text
    from migrator.sources.asbru.tree import perl_list, perl_true

    if any(isinstance(e, Mapping) and perl_true(e.get("active", 1)) for e in perl_list(env.get("expect"))):
        notes.append(
            Note("info", "expect", "its Expect automation (answers sent after connecting) is not imported", "expect")
        )
    for kind in ("local before", "local connected", "local after", "macros"):
        if env.get(kind):
            notes.append(
                Note("info", "local-commands", f"its '{kind}' commands are not imported (never run here)", kind)
            )
    if perl_true(env.get("use prepend command")) and text(env, "prepend command").strip():
        notes.append(
            Note("warning", "prepend-command", "a command Ásbrú puts before ssh is not imported", "prepend command")
        )
    if perl_true(env.get("autossh")):
        notes.append(Note("info", "autossh", "Ásbrú reconnects it with autossh; XPipe connects with ssh", "autossh"))
