"""The ``ansible`` source: an INI or YAML inventory file, as ``ansible-inventory --list`` reads it.

``parse_inventory(text, label, ...)`` does all the work on text, so any caller that has the
contents (a file, a future location string) gets the same hosts and diagnostics. A host's source
key is its inventory name: moving it to another group changes its folder, not its identity.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator

from migrator.model import Diagnostic, Host, JumpHop, SourceResult
from migrator.sources.base import FileSource, SourceOptions
from migrator.sources.limits import read_source_bytes

if TYPE_CHECKING:  # the readers are imported by a read, not by detection
    from migrator.sources.ansible.inventory import Inventory

MAX_BYTES = 64 * 1024 * 1024
MAX_ENCODING_REPORTS = 5
_YAML_SUFFIXES = (".yml", ".yaml", ".json")
_INI_SECTION = re.compile(r"(?m)^[ \t]*\[[^:\]\s]+(?::(?:vars|children|hosts))?\][ \t]*(?:[#;].*)?$")
_INI_TYPED_SECTION = re.compile(r"(?m)^[ \t]*\[[^:\]\s]+:(?:vars|children)\][ \t]*$")
_ANSIBLE_VAR = re.compile(
    r"\bansible_(?:host|port|user|connection|ssh_\w+|password|private_key_file|"
    r"python_interpreter|become\w*)\s*="
)
#: reader errors after which the host list is still complete (a link cut, a name that defines nothing)
_COMPLETE_DESPITE = frozenset({"group-loop", "undefined-group"})
_YAML_ROOT = re.compile(r"(?m)^(?:all|[\w.-]+):[ \t]*(?:#.*)?$")
_YAML_SECTION = re.compile(r"(?m)^[ \t]+(?:hosts|children):[ \t]*(?:#.*)?$")


class AnsibleOptions(SourceOptions):
    """Options of the ``ansible`` source (``--source-option KEY=VALUE`` or ``options = {...}``)."""

    connection_types: tuple[str, ...] = Field(default=("ssh", "smart", "paramiko", "paramiko_ssh"))
    """``ansible_connection`` values imported as SSH hosts; others are reported and skipped."""
    syntax: Literal["auto", "ini", "yaml"] = "auto"
    """Force INI or YAML; ``auto`` decides from the file name and its first lines, as Ansible's plugins do."""

    @field_validator("connection_types", mode="before")
    @classmethod
    def _split(cls, v):
        if isinstance(v, str):
            v = [p for p in (s.strip() for s in v.split(",")) if p]
        return v


def decode(data: bytes, label: str) -> tuple[list[tuple[int, str]], list[Diagnostic]]:
    """Text lines (numbered from 1) and what was wrong with the encoding; undecodable lines are dropped."""
    diags: list[Diagnostic] = []
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    if b"\x00" in data[:8192]:
        return [], [
            Diagnostic(
                level="error",
                code="binary-file",
                file=label,
                line=1,
                message="binary data (or UTF-16 text), not an Ansible inventory; nothing imported (save it as UTF-8)",
            )
        ]
    try:
        return list(enumerate(data.decode("utf-8").splitlines(), 1)), diags
    except UnicodeDecodeError:
        pass
    lines, bad = [], 0
    for number, raw in enumerate(data.splitlines(), 1):
        try:
            lines.append((number, raw.decode("utf-8")))
        except UnicodeDecodeError:
            bad += 1
            if bad <= MAX_ENCODING_REPORTS:
                diags.append(
                    Diagnostic(
                        level="error",
                        code="encoding",
                        file=label,
                        line=number,
                        message="this line is not UTF-8 text; it is not read",
                    )
                )
    if bad > MAX_ENCODING_REPORTS:
        diags.append(
            Diagnostic(
                level="error",
                code="encoding",
                file=label,
                message=f"{bad - MAX_ENCODING_REPORTS} more lines are not UTF-8 text; not read",
            )
        )
    return lines, diags


def looks_like_yaml(lines: list[tuple[int, str]], name: str) -> bool:
    from migrator.sources.ansible.yaml_subset import key_split

    first = next((t.strip() for _, t in lines if t.strip() and not t.lstrip().startswith(("#", ";"))), "")
    if _INI_SECTION.fullmatch(first):
        return False
    if Path(name).suffix.lower() in _YAML_SUFFIXES:
        return True
    if first == "---" or first.startswith(("--- ", "{")):
        return True
    key = key_split(first)
    return key is not None and "=" not in key[0]


def read_inventory_model(data: bytes, label: str, options: AnsibleOptions) -> tuple[Inventory, list[Diagnostic]]:
    """The group/host model of an inventory (before hosts are mapped), plus encoding diagnostics."""
    from migrator.sources.ansible.ini import read_ini
    from migrator.sources.ansible.inventory import Inventory
    from migrator.sources.ansible.yaml_inventory import read_yaml

    lines, diags = decode(data, label)
    inv = Inventory()
    if not lines and diags:
        return inv, diags
    use_yaml = options.syntax == "yaml" or (options.syntax == "auto" and looks_like_yaml(lines, label))
    if use_yaml:
        read_yaml(inv, "\n".join(t for _, t in lines) if not diags else _numbered_text(lines))
    else:
        read_ini(inv, lines)
    inv.reconcile()
    return inv, diags


def parse_inventory(
    data: bytes, label: str, *, key_prefix: str, fmt: str = "ansible", options: AnsibleOptions | None = None
) -> SourceResult:
    """Read one inventory's bytes into hosts and diagnostics; ``label`` names the file in diagnostics."""
    options = options or AnsibleOptions()
    if len(data) > MAX_BYTES:
        return SourceResult(
            diagnostics=[
                Diagnostic(
                    level="error",
                    code="too-large",
                    file=label,
                    message=f"larger than {MAX_BYTES // (1024 * 1024)} MiB; not read",
                )
            ]
        )
    from migrator.sources.ansible.hosts import HostBuilder

    inv, diags = read_inventory_model(data, label, options)
    builder = HostBuilder(inv, label, fmt, lambda name: f"{key_prefix}#{name}", frozenset(options.connection_types))
    hosts = [h for h in (builder.build(ih) for ih in inv.hosts.values()) if h is not None]
    hosts = _resolve_jump_refs(hosts)
    if not inv.hosts and not any(d.level == "error" for d in diags):
        diags.append(Diagnostic(level="warning", code="no-hosts", file=label, message="no hosts in this inventory"))
    for p in [*inv.problems, *builder.problems]:
        diags.append(
            Diagnostic(
                level=p.level,
                code=p.code,
                message=p.message,
                file=label,
                line=p.line,
                entry=_short(p.entry),
                field=_short(p.field),
            )
        )
    # Text the reader skipped (a line, a section, the rest of the file) may name hosts nobody can list.
    partial = any(d.level == "error" for d in diags) or any(
        p.level == "error" and p.code not in _COMPLETE_DESPITE for p in inv.problems
    )
    return SourceResult(
        hosts=hosts,
        diagnostics=list(dict.fromkeys(diags)),
        held=builder.held | _held_by_problems(inv, key_prefix),
        partial=partial,
    )


def _held_by_problems(inv: Inventory, key_prefix: str) -> set[str]:
    """Hosts the reader named in an error (a variable it could not read): present, never pruned."""
    return {f"{key_prefix}#{p.entry}" for p in inv.problems if p.level == "error" and p.entry in inv.hosts}


def _short(name: str | None, limit: int = 80) -> str | None:
    """A name fit for a one-line diagnostic: control characters replaced, long names cut."""
    if name is None:
        return None
    clean = "".join(c if c.isprintable() else "?" for c in name[: limit + 1])
    return clean if len(name) <= limit else clean[: limit - 1] + "…"


def _numbered_text(lines: list[tuple[int, str]]) -> str:
    """Text with dropped lines left empty, so YAML line numbers still match the file."""
    by_number = dict(lines)
    last = max(by_number, default=0)
    return "\n".join(by_number.get(n, "") for n in range(1, last + 1))


def _resolve_jump_refs(hosts: list[Host]) -> list[Host]:
    """A jump hop that names another imported host (and no other user or port) refers to that entry."""
    by_name = {h.name: h for h in hosts}
    out = []
    for host in hosts:
        if not host.jump:
            out.append(host)
            continue
        hops = []
        for hop in host.jump:
            ref = by_name.get(hop.host)
            if ref is not None and ref is not host and hop.user in (None, ref.user) and hop.port in (None, ref.port):
                hop = JumpHop(host=ref.address, port=ref.port, user=ref.user, ref=ref.name, ref_key=ref.key)
            hops.append(hop)
        out.append(replace(host, jump=hops))
    return out


class AnsibleSource(FileSource):
    """An Ansible inventory file (INI or YAML). Options: see ``AnsibleOptions``."""

    format = "ansible"
    summary = "Ansible INI and YAML inventories, read as ansible-inventory --list reads them"
    Options = AnsibleOptions

    @classmethod
    def example(cls, folder: Path) -> str:
        path = Path(folder) / "inventory.ini"
        path.write_text("[web]\nweb-01 ansible_host=192.0.2.11 ansible_user=deploy\n\n[web:vars]\nansible_port=22\n")
        return path.as_posix()

    @classmethod
    def detect(cls, path: Path, head: bytes) -> int:
        if path.is_dir() or b"\x00" in head:
            return 0
        text = head.decode("utf-8", errors="replace")
        suffix, stem = path.suffix.lower(), path.stem.lower()
        named = stem in ("hosts", "inventory") or path.name.lower() in ("hosts", "inventory")
        if suffix in (".yml", ".yaml", "") and _YAML_ROOT.search(text) and _YAML_SECTION.search(text):
            return 90 if re.search(r"(?m)^all:", text) else 75
        sections = _INI_SECTION.search(text) is not None
        if sections and _ANSIBLE_VAR.search(text):
            return 85
        if _INI_TYPED_SECTION.search(text):
            return 80
        if named and sections:
            return 55
        return 0

    def read(self) -> SourceResult:
        data = read_source_bytes(self.path, self.display_path)  # refuses a FIFO or device, caps the size
        prefix = f"{self.format}:{self.key_location}"
        return parse_inventory(data, self.display_path, key_prefix=prefix, fmt=self.format, options=self.options)
