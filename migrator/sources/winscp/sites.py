"""One WinSCP site as WinSCP loads it [code: ``TSessionData::DoLoad`` and ``TStoredSessionList::Load``,
``source/core/SessionData.cpp`` at 7221bf08].

A site starts from WinSCP's factory defaults, not from ``Default Settings``: the site list is loaded
with ``UseDefaults = false``, and a site is saved with only the values that differ from the factory
defaults (``DoSave`` against ``FactoryDefaults``). So a missing value is the factory default:
``PortNumber`` 22, ``FSProtocol`` 1 (SFTP with SCP fallback), no user, ``TryAgent`` on, no tunnel,
``TunnelPortNumber`` 22. ``HostName`` is read after ``UserName`` and a ``user@host`` value sets the
user (split at the last ``@``); the same for ``TunnelHostName``/``TunnelUserName``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from migrator.sources.numbers import whole_number
from migrator.sources.winscp.ini import Section, unmunge

FS_PROTOCOLS = {0: "SCP", 1: "SFTP (SCP fallback)", 2: "SFTP", 5: "FTP", 6: "WebDAV", 7: "S3"}
SSH_PROTOCOLS = (0, 1, 2)
PROXY_METHODS = {"none": 0, "socks4": 1, "socks5": 2, "http": 3, "telnet": 4, "cmd": 5}
_PROXY_NAMES = {1: "SOCKS 4", 2: "SOCKS 5", 3: "HTTP", 4: "Telnet", 5: "local command"}
_INTEGER = re.compile(r"[-+]?[0-9]+|\$[0-9A-Fa-f]+|0[xX][0-9A-Fa-f]+")


@dataclass
class Site:
    """The values of one ``[Sessions\\<name>]`` section that the import uses, as WinSCP reads them."""

    section: Section
    name: str
    codepage: str
    warnings: list[tuple[str, str, int]]  # (field, message, line)

    def text(self, name: str, default: str = "") -> str:
        raw = self.section.raw(name)
        return unmunge(raw[0], self.codepage) if raw is not None else default

    def has(self, name: str) -> bool:
        return self.section.raw(name) is not None

    def line(self, name: str) -> int:
        raw = self.section.raw(name)
        return raw[1] if raw is not None else self.section.line

    def integer(self, name: str, default: int, mapping: dict[str, int] | None = None) -> int:
        """``ReadInteger``/``ReadEnum``: a number (decimal, ``$hex``, ``0x`` hex) or a mapped name; else the default."""
        raw = self.section.raw(name)
        if raw is None or not raw[0]:
            return default
        text = unmunge(raw[0], self.codepage).strip()
        if mapping and text.casefold() in mapping:
            return mapping[text.casefold()]
        if _INTEGER.fullmatch(text):
            if text.startswith("$"):
                return whole_number(text[1:], 16)
            return whole_number(text[2:], 16) if text[:2].casefold() == "0x" else whole_number(text)
        self.warnings.append((name, f"{name} is not a number; WinSCP uses its default {default}", raw[1]))
        return default

    def boolean(self, name: str, default: bool) -> bool:
        return self.integer(name, int(default), {"on": 1, "off": 0}) != 0

    # the site's meaning

    def user_and_host(self, user_name: str, host_name: str) -> tuple[str, str]:
        user = self.text(user_name)
        host = self.text(host_name)
        if "@" in host:
            user, _, host = host.rpartition("@")
        return user, host

    @property
    def folder(self) -> list[str]:
        return [p for p in self.name.split("/")[:-1] if p.strip()]

    @property
    def leaf(self) -> str:
        return self.name.rsplit("/", 1)[-1]

    @property
    def fs_protocol(self) -> int:
        return self.integer("FSProtocol", 1)

    @property
    def proxy(self) -> str | None:
        method = self.integer("ProxyMethod", 0, PROXY_METHODS)
        if method == 0:
            return None
        kind = _PROXY_NAMES.get(method, f"type {method}")
        if method == 5:
            return f"a {kind} proxy (its command is not shown: it may hold a password)"
        return f"a {kind} proxy {self.text('ProxyHost')}:{self.integer('ProxyPort', 80)}"
