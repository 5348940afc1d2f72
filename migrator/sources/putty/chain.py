"""PuTTY proxies: which sessions go through a proxy, and SSH jump chains built session by session
(``ProxyMethod=6`` names another saved session, loaded whole with its own proxy, or a plain host)."""

from __future__ import annotations

import fnmatch
import ipaddress
import re

from migrator.model import JumpHop, validate_address
from migrator.sources.limits import MAX_JUMP_HOPS
from migrator.sources.putty.sessions import DEFAULT_SETTINGS, _Conn, _Session, _Store, prepare_host

# ProxyMethod values (conf-enums.h proxy_type) and the older ProxyType values they replaced.
_PROXY_NAMES = {
    1: "SOCKS 4",
    2: "SOCKS 5",
    3: "HTTP",
    4: "Telnet",
    5: "local command",
    6: "SSH jump host",
    7: "SSH to proxy and execute a command",
    8: "SSH to proxy and invoke a subsystem",
}
_PROXY_SSH_JUMP = 6
_OLD_PROXY_TYPES = {0: 0, 1: 3, 3: 4, 4: 5}  # 2 (SOCKS) depends on ProxySOCKSVersion
_MAX_HOPS = MAX_JUMP_HOPS  # far beyond any real chain; keeps a crafted file from exhausting the stack


class _ChainError(Exception):
    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class ProxyChains:
    """The proxy half of ``SessionsReader`` (mixed in); ``_str``/``_int``/``_conn`` come from the reader."""

    def _proxy_method(self, s: _Session) -> int:
        method = self._int(s, "ProxyMethod", -1) if s.has("ProxyMethod") else -1
        if 0 <= method <= 8:
            return method
        if method != -1:
            self._diag(
                "warning",
                "proxy",
                f"ProxyMethod {method} is unknown; the older ProxyType is used",
                file=s.file,
                line=s.line,
                field="ProxyMethod",
                entry=s.name,
            )
        old = self._int(s, "ProxyType", 0)
        if old in _OLD_PROXY_TYPES:
            return _OLD_PROXY_TYPES[old]
        return 2 if self._int(s, "ProxySOCKSVersion", 5) == 5 else 1

    def _bypasses_proxy(self, s: _Session, host: str) -> bool:
        """PuTTY never proxies loopback (unless ProxyLocalhost=1) nor hosts in ProxyExcludeList.

        The exclusion list is matched by exact name, a leading ``*`` wildcard, or an IP network;
        that covers what PuTTY's ``proxy_for_destination`` accepts in practice.
        """
        low = host.casefold()
        if not self._int(s, "ProxyLocalhost", 0):
            if low == "localhost" or low.startswith("127.") or low in ("::1", "[::1]"):
                return True
        for pattern in re.split(r"[\s,]+", self._str(s, "ProxyExcludeList", "").strip()):
            if not pattern:
                continue
            try:
                if ipaddress.ip_address(host.strip("[]")) in ipaddress.ip_network(pattern, strict=False):
                    return True
                continue
            except ValueError:
                pass
            if fnmatch.fnmatchcase(low, pattern.casefold()):
                return True
        return False

    def _chain(
        self, top: _Session, s: _Session, conn: _Conn, store: _Store, visiting: tuple[str, ...]
    ) -> list[JumpHop]:
        """Jump hops to reach ``s`` (imported as ``top``), first hop first.

        Raises _ChainError when PuTTY itself could not connect (a loop, a jump session that is not
        SSH); a network or command proxy anywhere in the chain is reported and ends the chain there.
        """
        method = self._proxy_method(s)
        if method == 0 or self._bypasses_proxy(s, conn.host):
            return []
        if method != _PROXY_SSH_JUMP:
            self._report_proxy(top, s, method)
            return []
        if len(visiting) > _MAX_HOPS:
            raise _ChainError("jump-too-long", f"its jump chain has more than {_MAX_HOPS} hops", "ProxyHost")
        proxy_host = self._str(s, "ProxyHost", "proxy")
        proxy_user = self._str(s, "ProxyUsername", "")
        target = store.lookup(proxy_host)
        if target is not None:
            ident = target.entry_id
            if ident in visiting:
                raise _ChainError("jump-loop", "its jump chain loops: " + " -> ".join([*visiting, ident]), "ProxyHost")
            if target.name == DEFAULT_SETTINGS and not self._str(target, "HostName", ""):
                raise _ChainError(
                    "jump-invalid", "its ProxyHost names 'Default Settings', which has no host name", "ProxyHost"
                )
            hop_conn = self._conn(target, report=False)
            if hop_conn.protocol != "ssh":
                raise _ChainError(
                    "jump-invalid",
                    f"its jump session {target.name!r} is not an SSH session (Protocol {hop_conn.protocol!r})",
                    "ProxyHost",
                )
            hop_host, at_user, _ = prepare_host(self._str(target, "HostName", ""))
            if not hop_host:
                raise _ChainError("jump-invalid", f"its jump session {target.name!r} has no host name", "ProxyHost")
            user = at_user or proxy_user or hop_conn.user
            hop = _hop(hop_host, hop_conn.port, user, ref=target.name, ref_key=store.keys.get(ident))
            return [*self._chain(top, target, hop_conn, store, (*visiting, ident)), hop]
        defaults = store.lookup(DEFAULT_SETTINGS) or _Session(DEFAULT_SETTINGS, s.store, s.file, None, "")
        host, at_user, dropped = prepare_host(proxy_host)
        if not host:
            raise _ChainError("jump-invalid", "ProxyHost is empty", "ProxyHost")
        if dropped:
            self._diag(
                "warning",
                "host-suffix",
                f"ProxyHost ends in {dropped!r}; PuTTY discards such a suffix (the jump port is ProxyPort)",
                file=s.file,
                line=s.line,
                field="ProxyHost",
                entry=s.name,
            )
        near = store.near_miss(proxy_host)
        if near is not None:
            self._diag(
                "warning",
                "jump-name-case",
                f"ProxyHost {proxy_host!r} is not the name of a saved "
                f"session (session {near.name!r} differs in case, which PuTTY does not ignore here), "
                "so it is used as a host name",
                file=s.file,
                line=s.line,
                field="ProxyHost",
                entry=s.name,
            )
        default_key = self._str(defaults, "PublicKeyFile", "")
        if default_key:
            self._diag(
                "warning",
                "jump-key",
                f"jump host {host!r} is given by host name, so PuTTY uses the "
                f"key of Default Settings ({default_key}) for it; give that hop the key in XPipe",
                file=s.file,
                line=s.line,
                field="ProxyHost",
                entry=s.name,
            )
        if not s.has("ProxyPort"):
            self._diag(
                "warning",
                "proxy-port",
                f"no ProxyPort: PuTTY's default 80 is used for jump host {host!r}",
                file=s.file,
                line=s.line,
                field="ProxyPort",
                entry=s.name,
            )
        port = self._int(s, "ProxyPort", 80)
        user = at_user or proxy_user or self._str(defaults, "UserName", "")
        hop = _hop(host, port, user)
        ident = f"{DEFAULT_SETTINGS} ({host})"
        if any(v.startswith(DEFAULT_SETTINGS) for v in visiting):
            raise _ChainError("jump-loop", "its jump chain loops through Default Settings' own proxy", "ProxyHost")
        hop_conn = _Conn("ssh", host, port, user or None)
        return [*self._chain(top, defaults, hop_conn, store, (*visiting, ident)), hop]

    def _report_proxy(self, top: _Session, s: _Session, method: int) -> None:
        fld = "ProxyMethod" if s.has("ProxyMethod") else "ProxyType"
        if method in (5, 7, 8):
            detail = " (its command is in ProxyTelnetCommand; not shown, it may hold a password)"
        else:
            detail = f" {self._str(s, 'ProxyHost', 'proxy')}:{self._int(s, 'ProxyPort', 80)}"
        what = f"a {_PROXY_NAMES[method]} proxy{detail}, which cannot be expressed as a jump host"
        if s is top:
            message = f"uses {what}; imported without the proxy, set it up in XPipe by hand"
        else:
            message = (
                f"its jump session {s.name!r} uses {what}; the chain is imported from that session "
                "on, set the rest up in XPipe by hand"
            )
        self._diag("warning", "unsupported-proxy", message, file=top.file, line=top.line, field=fld, entry=top.name)


def _hop(host: str, port: int, user: str | None, ref: str | None = None, ref_key: str | None = None) -> JumpHop:
    """A validated jump hop; a bad host or port raises ValueError naming it."""
    if not 1 <= port <= 65535:
        raise ValueError(f"jump host {host!r} has port {port}, outside 1-65535")
    return JumpHop(host=validate_address(host), port=port, user=user or None, ref=ref, ref_key=ref_key)
