"""``%`` token and ``${VAR}`` expansion (OpenSSH misc.c ``percent_expand``/``dollar_expand``).

Expansion belongs to this source: ``SshConfigSource`` expands tokenised key paths before it emits
a Host, so later stages see real paths and never need to know ssh_config's token rules.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
from pathlib import Path

from migrator.model import Host


class TokenError(ValueError):
    pass


def percent_expand(s: str, tokens: dict[str, str]) -> str:
    """OpenSSH ``percent_expand``: ``%x`` from ``tokens``; ``%%`` is ``%``; anything else is an error."""
    if "%" not in s:
        return s
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        if i + 1 >= len(s):
            raise TokenError("'%' at the end of the value")
        t = s[i + 1]
        if t == "%":
            out.append("%")
        elif t in tokens:
            out.append(tokens[t])
        else:
            raise TokenError(f"unknown token %{t}")
        i += 2
    return "".join(out)


def dollar_expand(s: str, env: dict[str, str] | None = None) -> str:
    """OpenSSH ``dollar_expand``: ``${NAME}`` from the environment; an unset name is an error."""
    env = os.environ if env is None else env

    def sub(m: re.Match[str]) -> str:
        if m.group(1) not in env:
            raise TokenError(f"environment variable ${{{m.group(1)}}} is not set")
        return env[m.group(1)]

    if "${" in s and not re.fullmatch(r"(?:[^$]|\$(?!\{)|\$\{[A-Za-z_][A-Za-z0-9_]*\})*", s):
        raise TokenError("malformed ${...} reference")
    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", sub, s)


def default_local_user() -> str:
    """The login name OpenSSH uses for ``Match user``/``localuser`` and ``%u`` (from the password file)."""
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError, AttributeError):
        import getpass

        try:
            return getpass.getuser()
        except Exception:  # noqa: BLE001 - no login name at all: any placeholder works for matching
            return "user"


def expand_path(
    value: str,
    host: Host,
    *,
    home: str | Path | None = None,
    local_user: str | None = None,
    env: dict[str, str] | None = None,
) -> str:
    """Expand ``~``, ``${VAR}`` and ``%`` tokens of an IdentityFile/CertificateFile/IdentityAgent value.

    ``Host.credentials.key_files`` keeps the paths as written in the config (as ``ssh -G`` prints
    them); a consumer that needs a real path calls this, the way ssh does just before connecting.
    Raises ``TokenError`` for a token or variable OpenSSH would refuse.
    """
    home_s = str(home if home is not None else Path.home())
    local = local_user or default_local_user()
    if value == "~" or value.startswith("~/"):
        value = home_s + value[1:]
    value = dollar_expand(value, env)
    local_host = socket.gethostname()
    user = host.user or local
    port = str(host.port)
    key_alias = next((v for k, v in host.ssh_options if k == "HostKeyAlias"), host.name)
    conn_hash = hashlib.sha1((local_host + host.address + port + user).encode()).hexdigest()
    uid = str(os.getuid()) if hasattr(os, "getuid") else "0"
    return percent_expand(
        value,
        {
            "C": conn_hash,
            "d": home_s,
            "h": host.address,
            "i": uid,
            "k": key_alias,
            "L": local_host.split(".")[0],
            "l": local_host,
            "n": host.name,
            "p": port,
            "r": user,
            "u": local,
        },
    )
