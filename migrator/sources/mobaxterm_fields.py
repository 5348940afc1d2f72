"""MobaXterm session fields as the source reads them: the G3 field positions of SSH and SFTP
sessions, and the checks of ports, users, key paths, gateway lists and proxies.

Split from ``migrator.sources.mobaxterm``, which reads the file and its sections.
"""

from __future__ import annotations

import re

from migrator.model import JumpHop, validate_address

_ESCAPES = (
    ("__DIEZE__", "#"),
    ("__PTVIRG__", ";"),
    ("__PERCENT__", "%"),
    ("__DBLQUO__", '"'),
    ("__EQUAL__", "="),
    ("__PIPE__", "|"),
)
_LIST_SEP = "__PIPE__"
_PROXY_TYPES = {1: "SOCKS 4", 2: "SOCKS 5", 3: "HTTP", 4: "Telnet", 5: "local command"}
_UNRESOLVED_TOKENS = ("_MyDocuments_", "_HomeDir_")

# G3 field positions of the SSH session type (MobaXterm 23.x layout).
_F_HOST, _F_PORT, _F_USER = 1, 2, 3
_F_GW_HOSTS, _F_GW_PORTS, _F_GW_USERS = 8, 9, 10
_F_KEY, _F_GW_KEYS = 14, 15
_F_PROXY_TYPE, _F_PROXY_HOST, _F_PROXY_PORT = 19, 20, 21
_F_LOCAL_PROXY_CMD = 26
_F_AGENT_FWD = 34
# SFTP sessions keep their key in field 9 and a network proxy in fields 10-14 (14 is a plain password).
_F_SFTP_KEY, _F_SFTP_PROXY_TYPE = 9, 10


def unescape(value: str) -> str:
    """Undo MobaXterm's ``__NAME__`` escapes in one field (lists must be split on __PIPE__ first).

    ``__DIEZE__``, ``__PTVIRG__``, ``__PIPE__`` and ``__PERCENT__`` are in the format study;
    ``__DBLQUO__`` and ``__EQUAL__`` come from other converters and real files [unverified].
    """
    for token, char in _ESCAPES:
        value = value.replace(token, char)
    return value


class SessionFields:
    """Reading one session's fields: ports, users, key paths, gateways and proxies.

    Made by :class:`~migrator.sources.mobaxterm.MobaXtermSource` for each read, with its diagnostic
    sink, the placeholders its options give and the set of placeholders already reported.
    """

    def __init__(self, diag, placeholders: dict[str, tuple[str | None, str]], expanded: set[str]):
        self._diag = diag
        self.placeholders = placeholders
        self._expanded = expanded

    def port(self, text: str, ctx, fld: str, default: int = 22) -> int | None:
        text = text.strip()
        if text in ("", "-1"):
            return default
        if not re.fullmatch(r"[0-9]{1,5}", text) or not 1 <= int(text) <= 65535:
            self._diag(
                "error",
                "invalid-value",
                f"not imported: port {text[:20]!r} is not a number in 1-65535",
                line=ctx[0],
                field=fld,
                entry=ctx[1],
            )
            return None
        return int(text)

    def user(self, raw: str, ctx, fld: str, default_login: str | None, credentials: dict[str, str]):
        """Resolve ``<default>`` and ``[credential]`` from this file only; otherwise report and leave empty.

        That ``<default>`` means ``[SSH] DefaultLoginName`` is inferred from MobaXterm.ini's setting
        names [unverified]; an empty setting means the Windows user name, which is not known here.
        """
        raw = raw.strip()
        if raw == "<default>":
            if default_login:
                self._diag(
                    "info",
                    "default-user",
                    f"user '<default>' read as DefaultLoginName {default_login!r} from this file's [SSH] section",
                    line=ctx[0],
                    field=fld,
                    entry=ctx[1],
                )
                return default_login
            self._diag(
                "warning",
                "default-user",
                "the user is MobaXterm's '<default>' login (the Windows user "
                "name unless set in MobaXterm.ini), which is not in this file; no user set",
                line=ctx[0],
                field=fld,
                entry=ctx[1],
            )
            return None
        m = re.fullmatch(r"\[(.+)\]", raw)
        if m:
            ref = m.group(1)
            if credentials.get(ref, "").strip():
                self._diag(
                    "info",
                    "credential-user",
                    f"user taken from stored credential [{ref}] in this "
                    "file; its password is encrypted and not imported",
                    line=ctx[0],
                    field=fld,
                    entry=ctx[1],
                )
                return credentials[ref].strip()
            self._diag(
                "warning",
                "credential-user",
                f"the user is stored credential [{ref}], which is not in "
                "this file (it lives in MobaXterm.ini's [Credentials]); no user set",
                line=ctx[0],
                field=fld,
                entry=ctx[1],
            )
            return None
        return raw or None

    def key_path(self, path: str, ctx, fld: str) -> str:
        for token, (value, option) in self.placeholders.items():
            if token not in path:
                continue
            if value:
                path = path.replace(token, value)
                if token not in self._expanded:
                    self._expanded.add(token)
                    self._diag(
                        "info",
                        "placeholder",
                        f"{token} in key paths was read as '{value}' (option {option})",
                        line=ctx[0],
                        field=fld,
                        entry=ctx[1],
                    )
            else:
                self._diag(
                    "warning",
                    "unresolved-path",
                    f"key path '{path}' uses {token}, which MobaXterm "
                    f"replaces by a folder of the Windows account; set the {option} option to resolve "
                    "it. Kept as written",
                    line=ctx[0],
                    field=fld,
                    entry=ctx[1],
                )
        for token in _UNRESOLVED_TOKENS:
            if token in path:
                self._diag(
                    "warning",
                    "unresolved-path",
                    f"key path '{path}' uses {token}, a MobaXterm folder that is not known here; kept as written",
                    line=ctx[0],
                    field=fld,
                    entry=ctx[1],
                )
        if path.casefold().endswith(".ppk"):
            self._diag("warning", "ppk-key", _ppk_message(path), line=ctx[0], field=fld, entry=ctx[1])
        return path

    def gateways(self, fields, ctx, default_login, credentials) -> list[JumpHop] | None:
        """SSH gateways (fields 8/9/10/15, lists joined by __PIPE__), first listed = first hop.

        The study does not say in which order MobaXterm chains several gateways; first-listed-first
        is an assumption [unverified].
        """
        hosts_field = _field(fields, _F_GW_HOSTS, "")
        if not hosts_field.strip():
            return []
        hosts = hosts_field.split(_LIST_SEP)
        ports = _field(fields, _F_GW_PORTS, "").split(_LIST_SEP)
        users = _field(fields, _F_GW_USERS, "").split(_LIST_SEP)
        keys = _field(fields, _F_GW_KEYS, "").split(_LIST_SEP)
        hops = []
        for i, raw_host in enumerate(hosts):
            host = unescape(raw_host).strip()
            label = f"gateway {i + 1}"
            if not host:
                self._diag(
                    "error",
                    "bad-jump-host",
                    f"not imported: {label} in the SSH gateway list has no host",
                    line=ctx[0],
                    field="G3[8] gateway hosts",
                    entry=ctx[1],
                )
                return None
            port = self.port(ports[i] if i < len(ports) else "", ctx, "G3[9] gateway ports")
            if port is None:
                return None
            user = self.user(
                unescape(users[i]) if i < len(users) else "", ctx, "G3[10] gateway users", default_login, credentials
            )
            if i < len(keys) and keys[i].strip():
                key = self.key_path(unescape(keys[i].strip()), ctx, "G3[15] gateway keys")
                self._diag(
                    "warning",
                    "gateway-key",
                    f"{label} ({host}) uses key '{key}'; a jump hop carries no "
                    "key of its own here, so give that host the key in XPipe",
                    line=ctx[0],
                    field="G3[15] gateway keys",
                    entry=ctx[1],
                )
            try:
                hops.append(JumpHop(host=validate_address(host), port=port, user=user))
            except ValueError as exc:
                self._diag(
                    "error",
                    "bad-jump-host",
                    f"not imported: {label}: {exc}",
                    line=ctx[0],
                    field="G3[8] gateway hosts",
                    entry=ctx[1],
                )
                return None
        return hops

    def report_proxy(self, type_text: str, fields, ctx, index: int) -> None:
        type_text = type_text.strip()
        if type_text in ("", "0"):
            return
        kind = f"type {type_text!r}"
        if type_text.isdigit():
            kind = _PROXY_TYPES.get(int(type_text), kind)
        detail = ""
        if fields is not None:
            host = unescape(_field(fields, _F_PROXY_HOST, "")).strip()
            port = _field(fields, _F_PROXY_PORT, "").strip()
            detail = f" {host}:{port}" if host else ""
            if type_text == "5" and _field(fields, _F_LOCAL_PROXY_CMD, "").strip():
                detail = " (its command, field 26, is not shown: it may hold a password)"
        self._diag(
            "warning",
            "unsupported-proxy",
            f"the session uses a {kind} proxy{detail}, which cannot be "
            "expressed as a jump host; imported without it, set it up in XPipe by hand",
            line=ctx[0],
            field=f"G3[{index}] proxy type",
            entry=ctx[1],
        )


def _field(fields: list[str], index: int, default: str) -> str:
    return fields[index] if index < len(fields) else default


def _ppk_message(path: str) -> str:
    return (
        f"key file {path} is in PuTTY's .ppk format, which OpenSSH cannot use: convert it with "
        f"'puttygen {path} -O private-openssh -o <new file>' and point the connection at the new file, "
        "or load the key into Pageant and let XPipe use the agent"
    )
