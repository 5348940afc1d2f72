"""XPipe's ``"default"`` in-place secret encoding (InPlaceSecretValue in the XPipe source).

It is a fixed-key obfuscation, not protection: key and IV are derived from constants, so equal
plaintexts give equal text. That determinism is what lets a re-import compare equal. The real
protection is the vault encryption (/secret/encrypt) wrapped around the whole strategy.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_MASK48 = (1 << 48) - 1


def java_random_bytes(seed: int, count: int) -> bytes:
    """The bytes ``new java.util.Random(seed).nextBytes(new byte[count])`` produces."""
    state = (seed ^ 0x5DEECE66D) & _MASK48
    out = bytearray()
    while len(out) < count:
        state = (state * 0x5DEECE66D + 0xB) & _MASK48
        word = state >> 16
        for _ in range(min(4, count - len(out))):
            out.append(word & 0xFF)
            word >>= 8
    return bytes(out)


_PASSWORD = "XP" + chr(ord("E") << 1)
_KEY = hashlib.pbkdf2_hmac("sha256", _PASSWORD.encode("utf-8"), java_random_bytes(128, 16), 2048, dklen=16)
_IV = java_random_bytes(1 - 28 + 213213, 12)


def b64e(raw: bytes) -> str:
    """XPipe's base64 variant: standard alphabet with '/' -> '-' and '+' -> '_'."""
    return base64.b64encode(raw).decode("ascii").replace("/", "-").replace("+", "_")


def b64d(text: str) -> bytes:
    return base64.b64decode(text.replace("-", "/").replace("_", "+"), validate=True)


def encode_inplace(plain: str) -> dict:
    """``{"type": "default", "encryptedValue": ...}`` for ``plain``."""
    raw = _IV + AESGCM(_KEY).encrypt(_IV, plain.encode("utf-8"), None)
    return {"type": "default", "encryptedValue": b64e(raw)}


def decode_inplace(node: object) -> str | None:
    """The plaintext of a ``"default"`` value, or None when ``node`` is not a valid one."""
    if not isinstance(node, dict) or node.get("type") != "default":
        return None
    text = node.get("encryptedValue")
    if not isinstance(text, str):
        return None
    try:
        raw = b64d(text)
        return AESGCM(_KEY).decrypt(raw[:12], raw[12:], None).decode("utf-8")
    except (ValueError, InvalidTag, UnicodeDecodeError):
        return None
