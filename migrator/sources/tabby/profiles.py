"""One Tabby SSH profile -> a ``Host`` (credentials, keys, proxies); jump chains are ``source.py``'s.

Verified in Eugeny/tabby at 14e2d60b9b6d, ``tabby-ssh/src/session/ssh.ts`` ``init``/``start``:

* ``auth`` null tries public keys, the agent, the saved password, keyboard-interactive and a
  password prompt; ``publicKey``, ``agent``, ``password``, ``keyboardInteractive`` only that one.
* ``privateKeys`` are tried in order; ``%h`` and ``%r`` (first occurrence each, JavaScript
  ``replace``) become the host and user; ``file://`` is stripped, ``vault://ID`` is a file in the
  vault (``tabby-electron/src/services/fileProvider.service.ts``, ``vault.service.ts``); no ``~``
  expansion. Without keys, Tabby's ``PrivateKeyLocator`` offers the default ~/.ssh keys.
* ``options.password`` (clear text in the config) is tried first, then the password saved for
  ``{user, host, port}`` in the vault (``populateStoredPasswordsForResolvedUsername``).
* The transport is ``proxyCommand`` if set, else the jump host's channel, else SOCKS, else HTTP
  proxy (``start``); ``agentForward`` and ``x11`` are the usual forwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from migrator.sources.tabby.vault import PASSPHRASE, PASSWORD, VAULT_PREFIX, Vault, find_secret, key_hash, secret_text

AUTHS = (None, "password", "publicKey", "agent", "keyboardInteractive")


@dataclass
class Entry:
    """A profile of the config, with what the source worked out before mapping it."""

    raw: dict
    line: int | None
    key: str
    name: str
    ident: str | None
    category: list[str]
    options: dict
    profile_type: str
    legacy: bool = False
    problems: list[tuple[str, str, str, str | None]] = field(default_factory=list)

    def problem(self, level: str, code: str, message: str, field_name: str | None = None) -> None:
        self.problems.append((level, code, message, field_name))

    @property
    def entry(self) -> str:
        return "/".join([*self.category, self.name])


def text_field(value) -> str | None:
    """A JavaScript value used as text (a number prints as JavaScript does); None when absent."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)
    if isinstance(value, str):
        return value
    return None


def js_replace_first(text: str, old: str, new: str) -> str:
    return text.replace(old, new, 1)


@dataclass
class KeyRef:
    path: str | None
    vault_id: str | None = None


def key_refs(entry: Entry) -> list[KeyRef] | None:
    keys = entry.options.get("privateKeys")
    if keys is None:
        return []
    if not isinstance(keys, list):
        entry.problem("error", "invalid-value", "not imported: privateKeys is not a list", "options.privateKeys")
        return None
    host = text_field(entry.options.get("host")) or ""
    user = text_field(entry.options.get("user")) or ""
    out = []
    for item in keys:
        if not isinstance(item, str) or not item.strip():
            entry.problem(
                "error", "invalid-value", "not imported: a privateKeys entry is not text", "options.privateKeys"
            )
            return None
        ref = js_replace_first(js_replace_first(item, "%h", host), "%r", user)
        if ref.startswith(VAULT_PREFIX):
            out.append(KeyRef(None, ref))
        elif ref.startswith("file://"):
            out.append(KeyRef(ref[len("file://") :]))
        elif "://" in ref:
            entry.problem(
                "error",
                "invalid-value",
                "not imported: a private key names a storage Tabby does not know",
                "options.privateKeys",
            )
            return None
        else:
            out.append(KeyRef(ref))
    return out


def credentials(entry: Entry, vault: Vault | None, agent_type: str, read_key) -> dict | None:
    """Keyword arguments of ``Credentials`` for ``entry``; None when it cannot be imported."""
    o = entry.options
    auth = o.get("auth")
    if auth not in AUTHS:
        entry.problem("error", "invalid-auth", "not imported: auth is not one Tabby knows", "options.auth")
        return None
    kw: dict = {}
    keys = key_refs(entry)
    if keys is None:
        return None
    if auth in (None, "publicKey"):
        vault_keys = [k.vault_id for k in keys if k.vault_id]
        if vault_keys:
            entry.problem(
                "error",
                "vault-key",
                f"not imported: its private key is stored inside Tabby's vault ({vault_keys[0]}), and XPipe needs "
                "a key file: save the key to a file, list that file in the profile, and import again",
                "options.privateKeys",
            )
            return None
        kw["key_files"] = [k.path for k in keys]
        if not keys and auth == "publicKey":
            entry.problem(
                "info", "default-keys", "no private key is listed: XPipe uses ssh's default keys", "options.privateKeys"
            )
        if keys and vault is not None:
            passphrase = _passphrase(entry, vault, keys, read_key)
            if passphrase:
                kw["key_passphrase"] = passphrase
    elif auth == "agent":
        kw["agent"] = "pageant" if agent_type == "pageant" else "openssh"
    if auth in (None, "password", "keyboardInteractive"):
        password = _password(entry, vault)
        if password:
            kw["password"] = password
        elif auth in ("password", "keyboardInteractive"):
            kw["password_prompt"] = True
    elif o.get("password"):
        entry.problem("info", "password-unused", f"the saved password is not used with auth {auth}", "options.password")
    return kw


def _password(entry: Entry, vault: Vault | None) -> str | None:
    o = entry.options
    inline = o.get("password")
    if inline is not None and not isinstance(inline, str):
        entry.problem("warning", "invalid-value", "password is not text; not imported", "options.password")
        inline = None
    stored = None
    if vault is not None:
        lookup = {"user": o.get("user"), "host": o.get("host"), "port": o.get("port")}
        stored = secret_text(find_secret(vault, PASSWORD, lookup))
    if inline and stored and inline != stored:
        entry.problem(
            "warning",
            "two-passwords",
            "the profile has a password of its own and another saved in the vault; Tabby tries the profile's "
            "first, and so it is the one imported",
            "options.password",
        )
    return inline or stored


def _passphrase(entry: Entry, vault: Vault, keys: list[KeyRef], read_key) -> str | None:
    if not any(s.get("type") == PASSPHRASE for s in vault.secrets):
        return None
    found = None
    for i, ref in enumerate(keys):
        contents = read_key(ref.path)
        if contents is None:
            continue
        value = secret_text(find_secret(vault, PASSPHRASE, {"hash": key_hash(contents)}))
        if value and i == 0:
            found = value
        elif value:
            entry.problem(
                "warning",
                "passphrase-not-carried",
                f"the vault holds the passphrase of private key {i + 1}; only the first key's passphrase is carried",
                "options.privateKeys",
            )
    return found


def proxies(entry: Entry) -> tuple[str | None, bool]:
    """(proxy command, whether the jump host is used); SOCKS/HTTP proxies are reported."""
    o = entry.options
    command = o.get("proxyCommand")
    if command is not None and not isinstance(command, str):
        command = None
    if command:
        if o.get("jumpHost"):
            entry.problem(
                "warning",
                "jump-ignored",
                "both a proxy command and a jump host are set; Tabby connects through the proxy command, so the "
                "jump host is ignored",
                "options.jumpHost",
            )
        return command, False
    if o.get("jumpHost"):
        return None, True
    for kind, name in (("SOCKS", "socksProxyHost"), ("HTTP", "httpProxyHost")):
        if o.get(name):
            entry.problem(
                "warning",
                "proxy-not-carried",
                f"the {kind} proxy is not carried; the host is imported for a direct connection",
                f"options.{name}",
            )
            break
    return None, False


def ssh_options(entry: Entry) -> list[tuple[str, str]]:
    o = entry.options
    out = []
    if o.get("agentForward") is True:
        out.append(("ForwardAgent", "yes"))
    if o.get("x11") is True:
        out.append(("ForwardX11", "yes"))
    if o.get("forwardedPorts"):
        entry.problem("info", "forwards-not-carried", "port forwards are not carried", "options.forwardedPorts")
    if o.get("scripts"):
        entry.problem("info", "scripts-not-carried", "login scripts are not carried (never run)", "options.scripts")
    return out
