"""OpenBSD's ``bcrypt_pbkdf`` (the KDF of OpenSSH keys and of SecureCRT's ``03:`` secrets).

``bcrypt.kdf`` (the ``bcrypt`` package paramiko brings) computes it in compiled code, but refuses an
empty password, and an empty password is exactly what SecureCRT uses when no configuration
passphrase was set, its default. So this module has the algorithm in pure Python, for that case
only: ``derive`` uses ``bcrypt.kdf`` whenever it can. The algorithm (``bcrypt_pbkdf.c``):

- ``sha2pass = SHA-512(password)``; for each 32-byte output block ``n`` (from 1):
  ``sha2salt = SHA-512(salt || n as 4 big-endian bytes)``, ``out = T = bcrypt_hash(sha2pass, sha2salt)``,
  then ``rounds - 1`` times ``T = bcrypt_hash(sha2pass, SHA-512(T))`` and ``out ^= T``;
- ``bcrypt_hash``: Blowfish's initial state, ``expandstate(salt, key=pass)``, 64 times
  ``expand0state(salt)`` then ``expand0state(pass)``, then the 32 bytes
  ``OxychromaticBlowfishSwatDynamite`` encrypted 64 times in ECB mode, output words little-endian;
- the output bytes of the blocks are interleaved: byte ``i`` of block ``n`` goes to
  ``key[i * blocks + n - 1]``.

It is slow by design and slower in Python: one ``(passphrase, salt)`` pair costs about 10 seconds
(benchmarks/RESULTS.md), so derived keys are cached per pair; a SecureCRT configuration uses one
salt for all its values.
"""

from __future__ import annotations

import hashlib
import warnings
from functools import lru_cache

from migrator.sources.securecrt.blowfish import encipher, fill_p, fill_s, fill_s_with_data, initial_state

_MAGIC = b"OxychromaticBlowfishSwatDynamite"
_HASH_BYTES = 32
_MAX_OUTPUT = 1024


def _words(data: bytes) -> list[int]:
    return [int.from_bytes(data[i : i + 4], "big") for i in range(0, len(data), 4)]


def _expand(p: list[int], s: list[list[int]], key: list[int], data: list[int] | None) -> None:
    """``Blowfish_expandstate`` (with ``data``) or ``Blowfish_expand0state`` (without), 64-byte inputs."""
    for i in range(18):
        p[i] ^= key[i % 16]
    left, right = fill_p(p, s, data)
    if data is None:
        fill_s(p, s, left, right)
    else:
        fill_s_with_data(p, s, left, right, data)


def bcrypt_hash(sha2pass: bytes, sha2salt: bytes) -> bytes:
    p, s = initial_state()
    key, salt = _words(sha2pass), _words(sha2salt)
    _expand(p, s, key, salt)
    for _ in range(64):
        _expand(p, s, salt, None)
        _expand(p, s, key, None)
    block = _words(_MAGIC)
    for _ in range(64):
        for j in range(0, 8, 2):
            block[j], block[j + 1] = encipher(block[j], block[j + 1], p, s)
    return b"".join(w.to_bytes(4, "little") for w in block)


def pure_bcrypt_pbkdf(password: bytes, salt: bytes, key_len: int, rounds: int) -> bytes:
    """``bcrypt_pbkdf`` in pure Python; unlike ``bcrypt.kdf`` it takes an empty password."""
    if rounds < 1 or not 0 < key_len <= _MAX_OUTPUT or not salt:
        raise ValueError("bcrypt_pbkdf needs rounds >= 1, 1-1024 output bytes and a salt")
    sha2pass = hashlib.sha512(password).digest()
    blocks = (key_len + _HASH_BYTES - 1) // _HASH_BYTES
    key = bytearray(key_len)
    for n in range(1, blocks + 1):
        t = bcrypt_hash(sha2pass, hashlib.sha512(salt + n.to_bytes(4, "big")).digest())
        out = int.from_bytes(t, "big")
        for _ in range(rounds - 1):
            t = bcrypt_hash(sha2pass, hashlib.sha512(t).digest())
            out ^= int.from_bytes(t, "big")
        for i, byte in enumerate(out.to_bytes(_HASH_BYTES, "big")):
            dest = i * blocks + n - 1
            if dest < key_len:
                key[dest] = byte
    return bytes(key)


#: How many derivations took the pure-Python path in this process (reported by the SecureCRT source).
pure_derivations = 0


@lru_cache(maxsize=128)
def derive(password: bytes, salt: bytes, key_len: int, rounds: int) -> bytes:
    """``bcrypt_pbkdf(password, salt)``: compiled ``bcrypt.kdf`` when it accepts the input, else pure Python."""
    global pure_derivations
    if password and salt:
        import bcrypt

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # bcrypt warns about few rounds; the format fixes them
            return bcrypt.kdf(password=password, salt=salt, desired_key_bytes=key_len, rounds=rounds)
    pure_derivations += 1
    return pure_bcrypt_pbkdf(password, salt, key_len, rounds)
