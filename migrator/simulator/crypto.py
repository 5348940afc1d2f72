"""The simulated vault encryption behind ``/secret/encrypt``, ``/secret/decrypt`` and identity secrets.

XPipe encrypts with AES-GCM under a per-vault key, a fresh random 12-byte IV each time, and writes
``base64e(IV ‖ ciphertext ‖ tag)`` (docs/xpipe-api.md §2.10). The simulator does the same with a random 256-bit
key per vault, so ciphertext differs on every call and only the vault that made it can read it.

The ``encryptedToken`` is an AES-GCM encryption of a fixed marker under the same key; it lets a
decrypt tell "written by this vault" from "written by another one". Values of type ``locked``
(XPipe's per-user passphrase encryption) are read with the vault key too, because the simulator has
no vault users. ``default`` values use XPipe's fixed in-place encoding (:mod:`migrator.xpipe.inplace`).
"""

from __future__ import annotations

import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from migrator.xpipe.inplace import b64d, b64e, decode_inplace

_TOKEN_MARKER = b"xpipe-simulator-vault-token"
_IV_BYTES = 12
VAULT_VALUE_TYPES = ("vault", "locked", "default")


class VaultCipher:
    """Encryption with one vault's key."""

    def __init__(self, key: bytes | None = None):
        self.key = key if key is not None else AESGCM.generate_key(bit_length=256)
        self._aead = AESGCM(self.key)

    def _seal(self, plain: bytes) -> str:
        iv = os.urandom(_IV_BYTES)
        return b64e(iv + self._aead.encrypt(iv, plain, None))

    def _open(self, text: Any) -> bytes | None:
        if not isinstance(text, str):
            return None
        try:
            raw = b64d(text)
            if len(raw) <= _IV_BYTES:
                return None
            return self._aead.decrypt(raw[:_IV_BYTES], raw[_IV_BYTES:], None)
        except (ValueError, InvalidTag):
            return None

    def encrypt(self, plain: str) -> dict:
        """The ``encrypted`` node of ``/secret/encrypt``: a wrapper with secret and token."""
        return {
            "secret": {"type": "vault", "encryptedValue": self._seal(plain.encode("utf-8"))},
            "encryptedToken": {"token": self._seal(_TOKEN_MARKER)},
        }

    def decrypt_value(self, value: dict) -> str | None:
        """Plaintext of a bare secret value (``vault``/``locked``/``default``), None if unreadable."""
        kind = value.get("type")
        if kind == "default":
            return decode_inplace(value)
        if kind not in ("vault", "locked"):
            return None
        plain = self._open(value.get("encryptedValue"))
        if plain is None:
            return None
        try:
            return plain.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def decrypt_wrapper(self, node: dict) -> str | None:
        """Plaintext of ``{"secret": ..., "encryptedToken": ...}``; None if another vault wrote it."""
        token = node.get("encryptedToken")
        if isinstance(token, dict) and "token" in token and self._open(token.get("token")) != _TOKEN_MARKER:
            return None
        secret = node.get("secret")
        if not is_secret_value(secret):
            return None
        return self.decrypt_value(secret)


def is_secret_value(node: Any) -> bool:
    """Whether ``node`` deserializes as one of XPipe's SecretValue types."""
    return isinstance(node, dict) and node.get("type") in VAULT_VALUE_TYPES
