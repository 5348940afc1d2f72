"""SecureCRT's stored-secret schemes [3rd-party: HyperSine/how-does-SecureCRT-encrypt-password,
``python3/securecrt_cipher.py``; verified on its three public vectors and on a real export].

- ``Password`` (before 7.3.3): hex, optionally prefixed ``u``. Blowfish-CBC (zero IV) with
  ``KEY_OUTER``, drop 4 bytes at both ends, Blowfish-CBC with ``KEY_INNER``; the plaintext is
  UTF-16LE up to a ``00 00`` terminator, then 1-8 padding bytes. No passphrase is involved.
- ``Password V2`` ``02:``: AES-256-CBC, zero IV, key ``SHA-256(UTF-8 passphrase)``.
- ``03:`` (9.4+): hex of ``salt (16) | ciphertext``; key and IV are the 48 bytes of
  ``bcrypt_pbkdf(passphrase, salt, 16 rounds)``; AES-256-CBC.
- Both V2 forms frame the plaintext as ``length (u32 LE) | UTF-8 | SHA-256(UTF-8)`` plus 8-23
  random padding bytes. The checksum is what tells a wrong passphrase (no value checks out) from a
  damaged value (one fails among good ones).

The passphrase is the configuration passphrase, or the empty string when none was set.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from migrator.sources.securecrt.bcrypt_pbkdf import derive
from migrator.sources.securecrt.blowfish import blowfish_cbc

KEY_OUTER = bytes.fromhex("24A63DDE5BD3B3829C7E06F40816AA07")
KEY_INNER = bytes.fromhex("5FB045A29417D916C6C6A2FF064182B7")
KDF_ROUNDS = 16
SALT_BYTES = 16
_AES_BLOCK = 16
_HEX = re.compile(r"[0-9A-Fa-f]*")
#: A stored secret larger than this is not a password (the cap keeps a crafted value from costing time).
MAX_SECRET_HEX = 64 * 1024


class CorruptValue(ValueError):
    """The value is not a secret of its scheme at all (bad hex, wrong length, bad padding)."""


class ChecksumMismatch(ValueError):
    """A V2 value decrypted to a frame whose length or SHA-256 does not check out: wrong passphrase or damage."""


def _hex_bytes(text: str, what: str) -> bytes:
    if len(text) > MAX_SECRET_HEX:
        raise CorruptValue(f"the {what} value is longer than {MAX_SECRET_HEX} hex digits")
    if not _HEX.fullmatch(text) or len(text) % 2:
        raise CorruptValue(f"the {what} value is not hexadecimal")
    return bytes.fromhex(text)


def decrypt_legacy(value: str) -> str:
    """The plaintext of an old ``Password`` value; ``CorruptValue`` when it is not one."""
    text = value.strip()
    if text[:1] in ("u", "U"):
        text = text[1:]
    data = _hex_bytes(text, "Password")
    if len(data) < 16 or len(data) % 8:
        raise CorruptValue("the Password value has the wrong length for its Blowfish scheme")
    inner = blowfish_cbc(KEY_OUTER, data, decrypt=True)[4:-4]
    if not inner or len(inner) % 8:
        raise CorruptValue("the Password value has the wrong length for its Blowfish scheme")
    plain = blowfish_cbc(KEY_INNER, inner, decrypt=True)
    end = next((i for i in range(0, len(plain) - 1, 2) if plain[i] == 0 and plain[i + 1] == 0), -1)
    padding = len(plain) - end - 2
    if end < 0 or padding != 8 - (end + 2) % 8:
        raise CorruptValue("the Password value does not decrypt to a terminated string")
    try:
        return plain[:end].decode("utf-16-le")
    except UnicodeDecodeError:
        raise CorruptValue("the Password value does not decrypt to UTF-16 text") from None


def v2_prefix(value: str) -> str | None:
    """``"02"`` or ``"03"`` (or another two-digit version) for a ``Password V2`` value, None without a prefix."""
    m = re.match(r"\s*(\d\d):", value)
    return m.group(1) if m else None


def v2_salt(value: str) -> bytes | None:
    """The salt of a well-formed ``03:`` value (the cache key of its key derivation), else None."""
    if v2_prefix(value) != "03":
        return None
    body = value.strip()[3:]
    if len(body) < 2 * SALT_BYTES or not _HEX.fullmatch(body[: 2 * SALT_BYTES]):
        return None
    return bytes.fromhex(body[: 2 * SALT_BYTES])


def _unframe(padded: bytes) -> str:
    if len(padded) < 4 + 32:
        raise ChecksumMismatch("the frame is too short")
    n = int.from_bytes(padded[:4], "little")
    if 4 + n + 32 > len(padded) or len(padded) - (4 + n + 32) > 2 * _AES_BLOCK:
        raise ChecksumMismatch("the frame's length field does not fit")
    plain = padded[4 : 4 + n]
    if not hmac.compare_digest(hashlib.sha256(plain).digest(), padded[4 + n : 4 + n + 32]):
        raise ChecksumMismatch("the SHA-256 checksum does not match")
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError:
        raise ChecksumMismatch("the plaintext is not UTF-8") from None


def _aes_cbc_decrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # not at detection

    op = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return op.update(data) + op.finalize()


def v2_key_iv(passphrase: str, value: str) -> tuple[bytes, bytes]:
    """Key and IV for a well-formed V2 value (``03:`` derivations are cached per passphrase and salt)."""
    secret = passphrase.encode("utf-8")
    if v2_prefix(value) == "02":
        return hashlib.sha256(secret).digest(), bytes(_AES_BLOCK)
    salt = v2_salt(value)
    if salt is None:
        raise CorruptValue("the 03 value has no salt")
    material = derive(secret, salt, 32 + _AES_BLOCK, KDF_ROUNDS)
    return material[:32], material[32:]


def check_v2(value: str) -> bytes:
    """The ciphertext of a ``02:``/``03:`` value, or ``CorruptValue`` naming what is wrong with its shape."""
    prefix = v2_prefix(value)
    if prefix not in ("02", "03"):
        shown = f"version {prefix}" if prefix else "no version prefix"
        raise CorruptValue(f"the Password V2 value has {shown}; only 02 and 03 are known")
    data = _hex_bytes(value.strip()[3:], "Password V2")
    if prefix == "03":
        data = data[SALT_BYTES:]
    if not data or len(data) % _AES_BLOCK:
        raise CorruptValue("the Password V2 value is not a whole number of AES blocks")
    return data


def decrypt_v2(value: str, passphrase: str) -> str:
    """The plaintext of a ``Password V2`` value. ``CorruptValue``: not a value of a known shape;
    ``ChecksumMismatch``: decrypted but the frame does not check out (wrong passphrase or damaged)."""
    data = check_v2(value)
    key, iv = v2_key_iv(passphrase, value)
    return _unframe(_aes_cbc_decrypt(key, iv, data))
