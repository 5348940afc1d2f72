"""From an inventory host and its resolved variables to the neutral ``Host``.

Of two spellings of a connection variable the ``_ssh_`` one wins, as in ansible-core's ssh
connection plugin (its variable lists are ordered weakest first). Vault-encrypted values and Jinja
templates are reported by name and left out: the host is imported without that field (an address
falls back to the inventory name). Hosts whose ``ansible_connection`` is not SSH are reported and
not imported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import SecretStr, ValidationError

from migrator.model import Credentials, Host, JumpHop, Provenance
from migrator.sources.ansible.inventory import ALL, UNGROUPED, Inventory, InventoryHost, Problem
from migrator.sources.ansible.sshargs import SshArgs, SshArgsError, parse_ssh_args
from migrator.sources.ansible.yaml_scalars import Unsafe, Unsupported, Vaulted

HOST_VARS = ("ansible_host", "ansible_ssh_host")
PORT_VARS = ("ansible_port", "ansible_ssh_port")
USER_VARS = ("ansible_user", "ansible_ssh_user")
KEY_VARS = ("ansible_private_key_file", "ansible_ssh_private_key_file")
PASSWORD_VARS = ("ansible_password", "ansible_ssh_pass", "ansible_ssh_password")
ARGS_VARS = ("ansible_ssh_args", "ansible_ssh_common_args", "ansible_ssh_extra_args")
SECRET_VARS = frozenset(PASSWORD_VARS) | {"ansible_private_key", "ansible_become_password", "ansible_become_pass"}
_PREFIXES = ("ansible.builtin.", "ansible.legacy.")


def is_template(value: Any) -> bool:
    """A string Ansible would template (``{{``, ``{%``, ``{#``); ``!unsafe`` strings never are."""
    return isinstance(value, str) and not isinstance(value, Unsafe) and any(m in value for m in ("{{", "{%", "{#"))


class HostBuilder:
    """Builds hosts for one file; ``problems`` collects what it reports."""

    def __init__(
        self, inv: Inventory, file: str, fmt: str, key: Callable[[str], str], connection_types: frozenset[str]
    ):
        self.inv, self.file, self.fmt, self.key = inv, file, fmt, key
        self.connection_types = connection_types
        self.problems: list[Problem] = []
        #: keys of hosts an error kept from being imported whole: present, so never pruned or updated
        self.held: set[str] = set()
        self._order = {name: i for i, name in enumerate(inv.groups)}

    def _report(self, level, code, message, host: InventoryHost, field=None, line=None) -> None:
        if level == "error" or code in ("unknown-connection", "unreadable-value"):
            self.held.add(self.key(host.name))
        self.problems.append(Problem(level, code, message, line if line is not None else host.line, host.name, field))

    def _value(
        self,
        host: InventoryHost,
        values: dict,
        origin: dict,
        names: tuple[str, ...],
        kind=str,
        left_out: str = "this field is left out",
    ):
        """(variable name, usable value) of the strongest name that is set; None when unusable or unset."""
        for name in reversed(names):
            if name not in values:
                continue
            value, line = values[name], origin[name][1]
            secret = name in SECRET_VARS
            if isinstance(value, Vaulted):
                self._report(
                    "warning", "vault-value", f"vault-encrypted; never decrypted, so {left_out}", host, name, line
                )
            elif isinstance(value, Unsupported):
                self._report(
                    "warning",
                    "unreadable-value",
                    f"the value could not be read ({value.reason}); {left_out}",
                    host,
                    name,
                    line,
                )
            elif is_template(value):
                self._report(
                    "warning",
                    "jinja-value",
                    f"a Jinja template; templates are not evaluated, so {left_out}",
                    host,
                    name,
                    line,
                )
            elif value is None or value == "":
                return name, None
            elif kind is str and isinstance(value, (str, int, float)) and not isinstance(value, bool):
                return name, str(value)
            elif kind is int and isinstance(value, (int, str)) and not isinstance(value, bool):
                return name, value
            else:
                what = "text" if kind is str else "a number"
                self._report(
                    "error" if not secret else "warning", "bad-value", f"must be {what}; {left_out}", host, name, line
                )
            return name, None
        return None, None

    def build(self, host: InventoryHost) -> Host | None:
        values, origin = self.inv.effective_vars(host)
        if not self._is_ssh(host, values, origin):
            return None
        address_var, address = self._value(
            host, values, origin, HOST_VARS, left_out="the inventory name is used as the address"
        )
        address_var = address_var if address is not None else None
        address = address or host.name
        args = self._ssh_args(host, values, origin)
        port_name, port = self._value(
            host, values, origin, PORT_VARS, kind=int, left_out="the port from the ssh arguments or 22 is used"
        )
        if port is not None:
            text = str(port).strip()
            port = int(text) if text.isascii() and text.isdigit() and len(text) <= 5 else -1
            if not 1 <= port <= 65535:
                self._report(
                    "error",
                    "bad-port",
                    "not a port number (1-65535); host not imported",
                    host,
                    port_name,
                    origin[port_name][1],
                )
                return None
        port = port or args.port or 22
        _, user = self._value(host, values, origin, USER_VARS)
        _, key_file = self._value(host, values, origin, KEY_VARS)
        _, password = self._value(host, values, origin, PASSWORD_VARS)
        if "ansible_private_key" in values:
            self._report(
                "warning",
                "key-content",
                "private key contents in the inventory are not imported; use ansible_ssh_private_key_file",
                host,
                "ansible_private_key",
                origin["ansible_private_key"][1],
            )
        jump = [JumpHop(host=h.host, port=h.port, user=h.user) for h in args.jump or []]
        credentials = Credentials(
            password=SecretStr(password) if password else None, key_files=[k for k in [key_file, *args.key_files] if k]
        )
        groups = self.inv.host_groups(host)
        folder = self.inv.folder(host)
        tags = sorted((g for g in groups if g not in (ALL, UNGROUPED) and g not in folder), key=self._order.get)
        try:
            return Host(
                key=self.key(host.name),
                name=host.name,
                address=address,
                port=port,
                user=user or args.user,
                category=folder,
                credentials=credentials,
                jump=jump,
                ssh_options=args.options,
                proxy_command=args.proxy_command,
                tags=tags,
                source=Provenance(
                    format=self.fmt, file=self.file, line=host.line, section=folder[-1] if folder else None
                ),
            )
        except ValidationError as exc:
            fields = {str(e["loc"][0]) for e in exc.errors() if e.get("loc")}
            if "address" in fields:
                self._report(
                    "error",
                    "bad-address",
                    "not a valid host name or IP address; host not imported",
                    host,
                    address_var,
                    origin[address_var][1] if address_var else None,
                )
            else:
                self._report(
                    "error", "bad-host", f"invalid {', '.join(sorted(fields)) or 'value'}; host not imported", host
                )
            return None

    def _is_ssh(self, host: InventoryHost, values: dict, origin: dict) -> bool:
        name, connection = self._value(host, values, origin, ("ansible_connection",))
        if name is None:
            return True
        if connection is None:
            self._report(
                "warning",
                "unknown-connection",
                "the connection type cannot be read; host not imported",
                host,
                name,
                origin[name][1],
            )
            return False
        short = connection.strip()
        for prefix in _PREFIXES:
            if short.startswith(prefix):
                short = short[len(prefix) :]
        if short in self.connection_types or connection.strip() in self.connection_types:
            return True
        self._report(
            "warning", "not-ssh", f"connection {short!r} is not SSH; host not imported", host, name, origin[name][1]
        )
        return False

    def _ssh_args(self, host: InventoryHost, values: dict, origin: dict) -> SshArgs:
        args = SshArgs()
        for name in ARGS_VARS:
            if name not in values:
                continue
            _, text = self._value(host, values, origin, (name,))
            if not text:
                continue
            try:
                parse_ssh_args(text, args)
            except SshArgsError as exc:
                self._report("warning", "ssh-args", f"{exc}; ignored", host, name, origin[name][1])
            for note in dict.fromkeys(args.notes):
                self._report("info", "ssh-args", note, host, name, origin[name][1])
            args.notes.clear()
        return args
