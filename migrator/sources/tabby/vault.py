"""Tabby's encrypted vault, and the secrets in it.

Verified in Eugeny/tabby at 14e2d60b9b6d:

* ``tabby-core/src/services/vault.service.ts``: a stored vault is ``{version: 1, contents, keySalt,
  iv}``; the key is PBKDF2-HMAC-SHA512 of the UTF-8 passphrase, 100,000 iterations, 32 bytes, salt
  = ``keySalt`` (8 bytes, hex); ``contents`` (base64) is AES-256-CBC with ``iv`` (16 bytes, hex)
  and PKCS#7 padding (node's ``createCipheriv`` default) of ``JSON.stringify({config, secrets})``.
  A wrong passphrase fails the padding check (``BAD_DECRYPT``), or, one time in 256, leaves text
  that is not JSON. Only version 1 exists.
* ``secrets`` are ``{type, key, value}``; ``getSecret(type, key)`` returns the first secret of that
  type whose ``key`` has every field of the lookup key with ``===`` equality, and failing that,
  the first one whose ``host`` is null ("a default user/password used in multiple servers").
* ``tabby-ssh/src/services/passwordStorage.service.ts``: SSH passwords are type ``ssh:password``
  with key ``{user, host, port}``; key passphrases are ``ssh:key-passphrase`` with key ``{hash}``,
  the hex SHA-512 of the private key's text (``session/ssh.ts`` ``loadPrivateKeyWithPassphraseMaybe``).
  Without a vault they are in the system keychain (keytar: service ``ssh@host:port``), out of reach.
* ``VaultFileProvider``: ``vault://ID`` names a secret of type ``file`` with key ``{id,
  description}`` and the file's bytes, base64, as value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass

PBKDF_ITERATIONS = 100_000
KEY_BYTES = 32
PASSWORD = "ssh:password"
PASSPHRASE = "ssh:key-passphrase"
FILE = "file"
VAULT_PREFIX = "vault://"


class VaultFormatError(ValueError):
    """The stored vault is not one this reader knows (the message never quotes it)."""


class WrongPassphrase(ValueError):
    """The passphrase does not open the vault."""


@dataclass
class Vault:
    config: dict | None
    secrets: list[dict]
    _index: dict | None = None

    def index(self) -> dict:
        """(type, lookup fields) -> first matching secret, for the fields Tabby looks secrets up by.

        A lookup is a linear search in Tabby; here each secret is indexed once under its own
        values, so a config with many profiles and secrets stays linear (``find_secret``)."""
        if self._index is None:
            self._index = {}
            for secret in self.secrets:
                stored = secret.get("key")
                if not isinstance(stored, dict):
                    continue
                fields = LOOKUP_FIELDS.get(secret.get("type"))
                if fields is None:
                    continue
                signature = (secret.get("type"), tuple(_js_identity(stored.get(f, _MISSING)) for f in fields))
                self._index.setdefault(signature, secret)
        return self._index


def _field(stored: dict, name: str) -> str:
    value = stored.get(name)
    if not isinstance(value, str) or not value:
        raise VaultFormatError(f"its {name} is missing or not text")
    return value


def open_vault(stored, passphrase: str) -> Vault:
    """Decrypt a stored vault (``decryptVault``)."""
    if not isinstance(stored, dict):
        raise VaultFormatError("it is not a mapping")
    if stored.get("version") != 1 or isinstance(stored.get("version"), bool):
        raise VaultFormatError("its version is not 1, the only vault format Tabby writes")
    try:
        salt = bytes.fromhex(_field(stored, "keySalt"))
        iv = bytes.fromhex(_field(stored, "iv"))
        contents = base64.b64decode("".join(_field(stored, "contents").split()), validate=True)
    except ValueError as exc:
        if isinstance(exc, VaultFormatError):
            raise
        raise VaultFormatError("its keySalt, iv or contents is not valid hex/base64") from None
    if len(iv) != 16 or not contents or len(contents) % 16:
        raise VaultFormatError("its iv or contents has the wrong length for AES-256-CBC")
    key = hashlib.pbkdf2_hmac("sha512", passphrase.encode("utf-8"), salt, PBKDF_ITERATIONS, KEY_BYTES)
    from cryptography.hazmat.primitives import padding  # a vault read only, not detection
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(contents) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        plain = unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise WrongPassphrase() from None
    try:
        doc = json.loads(plain.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):
        raise WrongPassphrase() from None
    if not isinstance(doc, dict):
        raise WrongPassphrase()
    secrets = doc.get("secrets") or []
    config = doc.get("config")
    return Vault(
        config=config if isinstance(config, dict) else None,
        secrets=[s for s in secrets if isinstance(s, dict)] if isinstance(secrets, list) else [],
    )


def js_equal(a, b) -> bool:
    """JavaScript ``===`` on JSON values (``1 === true`` is false; objects compare by identity)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return a is b
    return type(a) is type(b) and a == b


_MISSING = object()
#: the key fields each secret type is looked up by (``PasswordStorageService``, ``VaultFileProvider``)
LOOKUP_FIELDS = {PASSWORD: ("user", "host", "port"), PASSPHRASE: ("hash",), FILE: ("id",)}


def _js_identity(value):
    """A hashable stand-in for a JSON value under ``===`` (numbers by value, other types apart)."""
    if value is _MISSING:
        return ("undefined",)
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, (int, float)):
        return ("number", float(value))
    if isinstance(value, str):
        return ("string", value)
    if value is None:
        return ("null",)
    return ("object", id(value))


def find_secret(vault: Vault, kind: str, key: dict) -> dict | None:
    """``getSecret``: every field of ``key`` matches (absent fields are ``undefined``), else host null."""
    fields = LOOKUP_FIELDS.get(kind)
    if fields is not None and set(key) == set(fields):
        index = vault.index()
        found = index.get((kind, tuple(_js_identity(key[f]) for f in fields)))
        if found is None and "host" in key:
            found = index.get((kind, tuple(_js_identity(None if f == "host" else key[f]) for f in fields)))
        return found

    def matches(secret: dict, lookup: dict) -> bool:
        stored = secret.get("key")
        if not isinstance(stored, dict):
            return False
        for k, v in lookup.items():
            have = stored.get(k, _MISSING)
            if v is _MISSING:
                if have is not _MISSING:
                    return False
            elif have is _MISSING or not js_equal(have, v):
                return False
        return True

    candidates = [s for s in vault.secrets if s.get("type") == kind]
    found = next((s for s in candidates if matches(s, key)), None)
    if found is None and "host" in key:
        found = next((s for s in candidates if matches(s, {**key, "host": None})), None)
    return found


def secret_text(secret: dict | None) -> str | None:
    value = secret.get("value") if secret else None
    return value if isinstance(value, str) and value else None


def vault_file(vault: Vault, ref: str) -> bytes | None:
    """The bytes of ``vault://ID`` (``VaultFileProvider.retrieveFile``), or None."""
    secret = find_secret(vault, FILE, {"id": ref[len(VAULT_PREFIX) :]})
    value = secret_text(secret)
    if value is None:
        return None
    try:
        return base64.b64decode(value)
    except (binascii.Error, ValueError):
        return None


def key_hash(contents: bytes) -> str:
    """The lookup key of a key passphrase: SHA-512 hex of the key file read as UTF-8 text."""
    return hashlib.sha512(contents.decode("utf-8", errors="replace").encode("utf-8")).hexdigest()
