"""Keeping secrets out of text that is shown or stored: server answers, commands, addresses.

Server text is untrusted: a misbehaving server (or a proxy in front of it) may echo the request,
which holds the API key, the auth file's content or a secret being encrypted. Everything it says is
passed through :func:`redact_server_text` before it reaches an exception, the console or a report.
"""

from __future__ import annotations

import base64
import binascii
import re
import shlex
import urllib.parse
from collections.abc import Iterable

MASK = "***"
#: ssh options whose value is a command line (shown through :func:`show_command` only)
COMMAND_OPTIONS = frozenset({"proxycommand", "localcommand", "remotecommand", "knownhostscommand"})

#: JSON members whose string value is a credential in any request this tool sends
_SECRET_MEMBERS = re.compile(
    r'("(?:key|authFileContent|sessionToken|value|decrypted|encryptedValue|password|passphrase|secret|token)"'
    r'\s*:\s*)"(?:[^"\\]|\\.)*"',
    re.IGNORECASE,
)
_BEARER = re.compile(r"(Bearer\s+)\S+", re.IGNORECASE)
_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*):[^/\s@]*@")
_MAX_SERVER_TEXT = 300


def secret_forms(secret: str) -> set[str]:
    """The secret as written, and base64, URL- and hex-encoded (forms an echo may carry)."""
    raw = secret.encode("utf-8")
    b64 = base64.b64encode(raw).decode("ascii")
    return {
        secret,
        b64,
        b64.rstrip("="),
        base64.urlsafe_b64encode(raw).decode("ascii").rstrip("="),
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
        binascii.hexlify(raw).decode("ascii"),
    }


def redact_server_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` from the server with every known secret (in any common encoding) and every credential field masked."""
    out = str(text)
    forms = sorted({f for s in secrets if s and len(s) >= 4 for f in secret_forms(s)}, key=len, reverse=True)
    for form in forms:
        if len(form) >= 4:
            out = re.sub(re.escape(form), MASK, out, flags=re.IGNORECASE)
    out = _SECRET_MEMBERS.sub(lambda m: m.group(1) + '"' + MASK + '"', out)
    out = _BEARER.sub(lambda m: m.group(1) + MASK, out)
    out = _USERINFO.sub(lambda m: m.group(1) + ":" + MASK + "@", out)
    if len(out) > _MAX_SERVER_TEXT:
        out = out[:_MAX_SERVER_TEXT] + "…"
    return out


def show_command(command: str) -> str:
    """A command line for display: the program's name only, its arguments hidden (they may hold a password)."""
    text = (command or "").strip()
    if not text:
        return ""
    try:
        words = shlex.split(text, posix=True)
    except ValueError:
        words = text.split()
    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0], re.DOTALL):
        words = words[1:] + ["…"]  # an environment assignment before the program: hidden, counted as an argument
    if not words:
        return ""
    program = re.split(r"[\\/]", words[0])[-1]
    return program + (" …" if len(words) > 1 else "")


_CREDENTIAL_KEYS = frozenset(
    {
        "key",
        "authfilecontent",
        "sessiontoken",
        "value",
        "decrypted",
        "encryptedvalue",
        "password",
        "passphrase",
        "secret",
        "token",
        "encrypted",
    }
)


def credential_strings(node, inside: bool = False) -> set[str]:
    """Every string in a request or response body that sits under a credential member (see ``_CREDENTIAL_KEYS``)."""
    out: set[str] = set()
    if isinstance(node, dict):
        for k, v in node.items():
            out |= credential_strings(v, inside or str(k).lower() in _CREDENTIAL_KEYS)
    elif isinstance(node, list):
        for v in node:
            out |= credential_strings(v, inside)
    elif isinstance(node, str) and inside and node:
        out.add(node)
    return out
