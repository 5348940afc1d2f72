"""One profile's settings as Remmina sees them after ``remmina_file_load``.

Verified in FreeRDP/Remmina at bb33690d870e:

* ``src/remmina_file.c`` ``remmina_file_load``: a file without ``name`` in ``[remmina]`` is not a
  profile; every key of ``[remmina]`` becomes a setting; an empty value is an unset setting
  (``remmina_file_get_string`` returns NULL for ""). ``upgrade_sshkeys_202001`` moves the pre-1.4
  keys when ``ssh_enabled`` is set: ``ssh_<x>`` is copied to ``ssh_tunnel_<x>`` (for ``auth``,
  ``privatekey``, ``passphrase``, ``proxycommand``, ...) and cleared unless the protocol is SSH;
  ``ssh_username``/``ssh_password`` become the tunnel's and, for an SSH profile, ``username``/
  ``password``; ``ssh_server`` becomes ``ssh_tunnel_server``; ``ssh_enabled`` becomes
  ``ssh_tunnel_enabled``.
* ``remmina_file_get_int``: unset is the default, a value starting with ``t`` is 1, anything else
  is ``atoi``.
* ``src/remmina_public.c`` ``remmina_public_get_server_port`` parses ``server`` with GLib's
  ``g_network_address_parse`` (GNOME/glib ``gio/gnetworkaddress.c`` at 034a4dcdc06e): ``[host]`` or
  ``[host]:port``; one ``:`` separates a port; more than one ``:`` is a bare IPv6 address; a port is
  digits 0-65535 or a service name from ``/etc/services``.
* Which settings are encrypted (``remmina_plugin_manager.c`` ``init_settings_cache``): every
  ``REMMINA_PROTOCOL_SETTING_TYPE_PASSWORD`` setting of the protocol plugin (SSH and SFTP:
  ``password``, ``ssh_passphrase``) and, for every protocol, ``ssh_tunnel_password``,
  ``ssh_tunnel_passphrase`` and ``ssh_password``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from migrator.sources.numbers import whole_number
from migrator.sources.remmina.keyfile import BadValue, Value, string_value

GROUP = "remmina"
ENCRYPTED = frozenset({"password", "ssh_passphrase", "ssh_tunnel_password", "ssh_tunnel_passphrase", "ssh_password"})
#: the marker Remmina writes when the secret plugin (libsecret) keeps the value
KEYRING_MARKER = "."

_MIGRATED_SUFFIXES = (
    "stricthostkeycheck",
    "kex_algorithms",
    "hostkeytypes",
    "ciphers",
    "proxycommand",
    "passphrase",
    "auth",
    "privatekey",
)


@dataclass
class Settings:
    """Decoded settings with the line each came from; ``bad`` names values GLib would refuse."""

    values: dict[str, str]
    lines: dict[str, int]
    bad: dict[str, tuple[int, str]]

    def get(self, key: str) -> str | None:
        value = self.values.get(key)
        return value if value else None

    def line(self, key: str) -> int | None:
        return self.lines.get(key)

    def get_int(self, key: str, default: int) -> int:
        return remmina_int(self.get(key), default)


def remmina_int(value: str | None, default: int) -> int:
    """``remmina_file_get_int``: empty is the default, ``t...`` is 1, else C ``atoi``."""
    if not value:
        return default
    if value[0] == "t":
        return 1
    m = re.match(r"[ \t\n\v\f\r]*([+-]?[0-9]+)", value)
    if not m:
        return 0
    number = whole_number(m.group(1))
    return number if -(2**31) <= number < 2**31 else 0  # atoi's overflow is undefined; treat as 0


def load_settings(group: dict[str, Value]) -> Settings:
    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    bad: dict[str, tuple[int, str]] = {}
    for key, value in group.items():
        lines[key] = value.line
        try:
            values[key] = string_value(value)
        except BadValue as exc:
            values[key] = ""
            bad[key] = (value.line, str(exc))
    settings = Settings(values, lines, bad)
    _upgrade_pre_14(settings)
    return settings


def _move(settings: Settings, src: str, dst: str) -> None:
    settings.values[dst] = settings.values.get(src, "")
    if src in settings.lines:
        settings.lines[dst] = settings.lines[src]


def _upgrade_pre_14(s: Settings) -> None:
    """``upgrade_sshkeys_202001``, step by step."""
    if not s.get("ssh_enabled"):
        return
    enabled = s.get_int("ssh_enabled", 0)
    is_ssh = s.values.get("protocol") == "SSH"
    for suffix in _MIGRATED_SUFFIXES:
        src = f"ssh_{suffix}"
        if not s.get(src):
            continue
        if enabled:
            _move(s, src, f"ssh_tunnel_{suffix}")
        if not is_ssh:
            s.values[src] = ""
    if s.get("ssh_loopback"):
        _move(s, "ssh_loopback", "ssh_tunnel_loopback")
        s.values["ssh_loopback"] = ""
    for old, new in (("ssh_username", "username"), ("ssh_password", "password")):
        if s.get(old):
            _move(s, old, f"ssh_tunnel_{new}")
            if is_ssh:
                _move(s, old, new)
            s.values[old] = ""
    if s.get("ssh_server"):
        _move(s, "ssh_server", "ssh_tunnel_server")
        s.values["ssh_server"] = ""
    s.values["ssh_tunnel_enabled"] = str(enabled)


class BadServer(ValueError):
    """``g_network_address_parse`` refuses the text (the message never repeats it)."""


def parse_server(text: str, default_port: int) -> tuple[str, int]:
    """Host and port of a ``server`` setting, as ``g_network_address_parse`` splits them."""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise BadServer("it has '[' but no ']'")
        host, rest = text[1:end], text[end + 1 :]
        if rest and not rest.startswith(":"):
            raise BadServer("']' must end it or be followed by ':' and a port")
        port = rest[1:] if rest else None
    else:
        host, sep, port = text.partition(":")
        if sep and ":" in port:  # more than one ':': a bare IPv6 address
            host, port = text, None
        elif not sep:
            port = None
    if port is None:
        return host, default_port
    if not port:
        raise BadServer("a ':' must be followed by a port")
    if not port[0].isdigit():
        raise BadServer("its port is a service name; Remmina looks it up in /etc/services, give the number instead")
    if not port.isascii() or not port.isdigit() or whole_number(port) > 65535:
        raise BadServer("its port is not a number from 0 to 65535")
    return host, whole_number(port)


def setting_value(settings: Settings, key: str) -> tuple[str, str | None]:
    """``(state, stored)`` of an encrypted setting: ``unset``, ``keyring`` or ``stored``."""
    stored = settings.get(key)
    if stored is None:
        return "unset", None
    if stored == KEYRING_MARKER:
        return "keyring", None
    return "stored", stored
