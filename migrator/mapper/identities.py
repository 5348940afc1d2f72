"""Credentials: what each host authenticates with, checked before any write, and shared where it repeats.

``CredentialResolver`` turns a host's credentials into XPipe's password and key strategies, after
inspecting every key file (exists, type, fingerprint, passphrase). ``IdentityConsolidator`` gives
hosts that share the same user and credential one reusable ``localIdentity`` entry, referenced
with ``{"type": "ref"}``; a one-off credential stays an in-place identity.
"""

from __future__ import annotations

import ntpath
import posixpath
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from string import Formatter

from migrator.errors import ConfigError
from migrator.mapper.desired import DesiredEntry, Secret
from migrator.mapper.identity_names import IdentityGroup, IdentityHistory, settle_names
from migrator.model import Diagnostic, Host

IDENTITY_CATEGORIES = {"local": ("All identities", "Local"), "synced": ("All identities", "Synced")}
IDENTITY_TYPES = {"local": "localIdentity", "synced": "syncedIdentity"}
TEMPLATE_FIELDS = {"user", "method", "n"}


def check_template(template: str) -> None:
    fields = {f for _, f, _, _ in Formatter().parse(template) if f}
    unknown = fields - TEMPLATE_FIELDS
    if unknown:
        raise ConfigError(
            f"identity name template {template!r}: unknown field(s) {', '.join(sorted(unknown))}; "
            f"use {', '.join(sorted(TEMPLATE_FIELDS))}"
        )


@dataclass(frozen=True)
class ResolvedCredential:
    username: str | None
    password: Secret
    key: Secret
    key_identity: str  # fingerprint when known, else the strategy's digest
    method: str
    existing: str | None = None  # name of an XPipe identity the user chose

    @cached_property
    def signature(self) -> tuple:
        return (self.username, self.password.cache_key, self.key_identity, self.key_passphrase_key)

    @cached_property
    def key_passphrase_key(self) -> str:
        pw = self.key.strategy.get("password")
        return Secret(pw).cache_key if isinstance(pw, dict) else ""

    @property
    def shareable(self) -> bool:
        return self.password.kind != "none" or self.key.kind != "otherExternal"


def no_key_auth(host: Host) -> bool:
    """The source rules out keys and agents (``IdentitiesOnly yes`` + ``IdentityAgent none``, no key file):
    XPipe's ``none`` key strategy says exactly that."""
    creds = host.credentials
    return (
        not creds.key_files
        and creds.agent is None
        and bool(creds.identities_only)
        and (creds.identity_agent or "").lower() == "none"
    )


def _inplace(value: str) -> dict:
    from migrator.xpipe.inplace import encode_inplace  # cryptography: only when there is a secret

    return {"type": "inPlace", "value": encode_inplace(value)}


class CredentialResolver:
    """Maps one host's credentials to strategies; key problems become diagnostics, not surprises."""

    def __init__(self, password_policy: str = "source", inspector=None):
        self.policy = password_policy
        self.inspector = inspector
        self._shared: dict[tuple, Secret] = {}

    def _secret(self, key: tuple, make) -> Secret:
        """One Secret per distinct strategy, shared by every host that has it: its JSON, digests and
        in-place encoding are computed once (the strategies are never changed once built; the cache
        lives in memory for this run only)."""
        secret = self._shared.get(key)
        if secret is None:
            secret = self._shared[key] = Secret(make())
        return secret

    def password(self, host: Host) -> Secret:
        creds = host.credentials
        if self.policy == "none":
            return self._secret(("none",), lambda: {"type": "none"})
        if self.policy == "prompt":
            kind = "prompt" if creds.password or creds.password_prompt else "none"
            return self._secret((kind,), lambda: {"type": kind})
        if creds.password is not None:
            value = creds.password.get_secret_value()
            return self._secret(("inPlace", value), lambda: _inplace(value))
        if creds.password_manager_ref:
            ref = creds.password_manager_ref
            return self._secret(("passwordManager", ref), lambda: {"type": "passwordManager", "key": ref})
        if creds.password_prompt:
            return self._secret(("prompt",), lambda: {"type": "prompt"})
        return self._secret(("none",), lambda: {"type": "none"})

    def resolve(self, host: Host) -> tuple[ResolvedCredential | None, list[Diagnostic]]:
        """The host's credential, or None when a key problem must keep it out of the vault."""
        creds = host.credentials
        diags: list[Diagnostic] = []

        def diag(level, code, message):
            diags.append(
                Diagnostic(
                    level=level,
                    code=code,
                    message=message,
                    file=host.source.file,
                    line=host.source.line,
                    entry=host.name,
                    field="key_file",
                )
            )

        key_identity = ""
        if creds.key_files:
            path = creds.key_files[0]
            passphrase = creds.key_passphrase.get_secret_value() if creds.key_passphrase is not None else None
            info = self.inspector.inspect(path, passphrase) if self.inspector else None
            status = info.status if info else None
            if info is not None and info.blocking:
                diag("error", f"key-{status}", f"{info.message}; the host is not imported")
                return None, diags
            if status == "ppk" or (status is None and path.lower().endswith(".ppk")):
                diag(
                    "warning",
                    "key-ppk-pageant",
                    f"key {path} is a PuTTY .ppk key, which XPipe cannot use as a "
                    "file: the connection uses Pageant instead (load the key into Pageant, or convert it with "
                    "puttygen and point the source at the OpenSSH file)",
                )
                key = self._secret(("pageant",), lambda: {"type": "pageant", "publicKey": None})
                key_identity = "pageant"
            else:
                if passphrase is not None and (info is None or info.encrypted is not False):
                    pw, pw_key = None, ("inPlace", passphrase)
                elif status == "needs-passphrase":
                    diag(
                        "info",
                        "key-passphrase-prompt",
                        f"key {path} is encrypted and the source gives no "
                        "passphrase: XPipe will ask for it when connecting",
                    )
                    pw, pw_key = {"type": "prompt"}, ("prompt",)
                else:
                    pw, pw_key = {"type": "none"}, ("none",)
                if status in ("missing", "not-local"):
                    diag(
                        "warning",
                        f"key-{status}",
                        info.message + "; kept as written (XPipe checks it when it connects)",
                    )
                key = self._secret(
                    ("file", path, *pw_key),
                    lambda: {"type": "file", "file": path, "password": pw or _inplace(passphrase), "publicKey": None},
                )
                key_identity = info.fingerprint if info is not None and info.fingerprint else key.cache_key
        elif creds.agent == "pageant":
            key = self._secret(("pageant",), lambda: {"type": "pageant", "publicKey": None})
        elif creds.agent == "openssh":
            key = self._secret(("sshAgent",), lambda: {"type": "sshAgent", "publicKey": None})
        elif no_key_auth(host):
            key = self._secret(("none",), lambda: {"type": "none"})
        else:
            key = self._secret(("otherExternal",), lambda: {"type": "otherExternal"})
        if not key_identity:
            key_identity = key.cache_key
        password = self.password(host)
        return ResolvedCredential(
            username=host.user,
            password=password,
            key=key,
            key_identity=key_identity,
            method=_method(password, key),
            existing=creds.identity,
        ), diags


def _method(password: Secret, key: Secret) -> str:
    parts = []
    if password.kind == "inPlace":
        parts.append("password")
    elif password.kind == "prompt":
        parts.append("password prompt")
    elif password.kind == "passwordManager":
        parts.append("password manager")
    if key.kind == "file":
        path = key.strategy["file"]
        base = ntpath.basename(path) if "\\" in path else posixpath.basename(path)
        parts.append(f"key {base}")
    elif key.kind in ("pageant", "sshAgent"):
        parts.append("Pageant" if key.kind == "pageant" else "agent")
    return " + ".join(parts) or "default"


def identity_data(cred: ResolvedCredential, store_type: str = "localIdentity") -> dict:
    data = {"type": store_type, "username": cred.username, "password": cred.password, "sshIdentity": cred.key}
    if store_type == "syncedIdentity":
        data["perUser"] = False
    return data


@dataclass
class Consolidation:
    entries: list[DesiredEntry] = field(default_factory=list)
    assignment: dict[str, str] = field(default_factory=dict)  # node key -> identity entry key
    diagnostics: list[Diagnostic] = field(default_factory=list)
    shared_users: int = 0


class IdentityConsolidator:
    """Groups equal credentials into reusable identities, named stably (``migrator.mapper.identity_names``)."""

    def __init__(
        self, mode: str = "auto", threshold: int = 2, category: str = "local", template: str = "{user} ({method})"
    ):
        if mode not in ("auto", "inplace", "shared"):
            raise ConfigError(f"identities mode {mode!r}: use auto, inplace or shared")
        if category not in IDENTITY_CATEGORIES:
            raise ConfigError(f"identity category {category!r}: use local or synced")
        check_template(template)
        self.mode = mode
        self.threshold = 1 if mode == "shared" else max(1, threshold)
        self.category = category
        self.template = template

    def consolidate(
        self, creds: dict[str, ResolvedCredential], taken: set[str], history: IdentityHistory | None = None
    ) -> Consolidation:
        """``creds`` maps node keys (in entry order) to credentials; ``taken`` holds names in use (as
        ``name_key``); ``history``: the identities earlier runs made, which keep their keys and names."""
        out = Consolidation()
        if self.mode == "inplace":
            return out
        members_of: dict[tuple, list[str]] = defaultdict(list)
        for key, cred in creds.items():
            if cred.shareable and cred.existing is None:
                members_of[cred.signature].append(key)
        store_type = IDENTITY_TYPES[self.category]
        groups = []
        for members in members_of.values():  # in the order of their first connection
            if len(members) < self.threshold:
                continue
            cred = creds[members[0]]
            base = self.template.format(user=cred.username or "any user", method=cred.method, n=len(members))
            groups.append(IdentityGroup(members, base, identity_data(cred, store_type)))
        settle_names(groups, taken, history)
        for group in groups:
            out.entries.append(
                DesiredEntry(
                    key=group.key,
                    kind="identity",
                    name=group.name,
                    type=store_type,
                    category=IDENTITY_CATEGORIES[self.category],
                    data=group.data,
                    notes=[f"shared by {len(group.members)} connections"],
                )
            )
            for m in group.members:
                out.assignment[m] = group.key
            out.shared_users += len(group.members)
        return out
