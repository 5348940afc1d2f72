"""Remmina's stored passwords: 3DES-CBC with the ``secret`` of ``remmina.pref``.

Verified in FreeRDP/Remmina at bb33690d870e (``src/remmina_crypt.c``, ``src/remmina_pref.c``):

* ``remmina_pref_gen_secret`` writes 32 random bytes, base64-encoded, as ``[remmina_pref] secret``;
* ``remmina_crypt_init`` base64-decodes it (fewer than 32 bytes: "secret corrupted", nothing is
  decrypted and the password is empty), then key = bytes 0-23, IV = bytes 24-31, cipher
  ``GCRY_CIPHER_3DES`` in ``GCRY_CIPHER_MODE_CBC``;
* ``remmina_crypt_encrypt`` zero-pads the UTF-8 text to the next multiple of 8, always adding at
  least one NUL (8 when the length is already a multiple of 8), encrypts, and base64-encodes;
* ``remmina_crypt_decrypt`` base64-decodes (``g_base64_decode``, which skips characters outside the
  alphabet); when libgcrypt refuses the length (not a multiple of 8) it returns the stored text
  *unchanged*, so a password written into a profile by hand in clear text is used as written;
  otherwise the password is the decrypted bytes up to the first NUL.

3DES has no integrity check: a wrong secret yields garbage. A value counts as decrypted only when
its plaintext has exactly Remmina's padding (1-8 NULs, nothing after the first), is UTF-8 and has
no control characters other than tab and line breaks (inferred: Remmina's password fields are GTK
entries). ``source.py`` decides from all values together whether the secret is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

SECRET_BYTES = 32
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_RANK = {c: i for i, c in enumerate(_B64)} | {"=": 0}
_ALLOWED_CONTROLS = frozenset("\t\n\r")


def glib_base64_decode(text: str) -> bytes:
    """``g_base64_decode`` (glib/gbase64.c): characters outside the alphabet are skipped, every
    complete group of 4 gives 3 bytes less one per ``=`` at its end, and a trailing partial group
    gives nothing."""
    out = bytearray()
    value = count = 0
    last = prev = ""
    for c in text:
        rank = _RANK.get(c)
        if rank is None:
            continue
        prev, last = last, c
        value = ((value << 6) | rank) & 0xFFFFFF
        count += 1
        if count == 4:
            out.append(value >> 16)
            if prev != "=":
                out.append((value >> 8) & 0xFF)
            if last != "=":
                out.append(value & 0xFF)
            count = 0
    return bytes(out)


class BadSecret(ValueError):
    """The ``secret`` of a remmina.pref cannot be used (Remmina: "secret corrupted")."""


def parse_secret(text: str) -> bytes:
    secret = glib_base64_decode(text)
    if len(secret) < SECRET_BYTES:
        raise BadSecret(f"its secret decodes to {len(secret)} bytes; Remmina needs at least {SECRET_BYTES}")
    return secret


@dataclass(frozen=True)
class Decrypted:
    """What one stored value gives: ``ok`` (encrypted, and decrypted cleanly), ``clear`` (not
    encrypted: Remmina uses the text as written), ``empty``, or ``garbage`` (the secret does not fit)."""

    kind: str
    text: str = ""

    def __repr__(self) -> str:
        return f"Decrypted({self.kind})"


def _triple_des(key: bytes):
    """cryptography's 3DES, imported when a secret is decrypted (detecting formats must not load it)."""
    try:  # cryptography >= 43 moved TripleDES to the "decrepit" package
        from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    except ImportError:  # pragma: no cover - older cryptography
        from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES
    return TripleDES(key)


def decrypt(stored: str, secret: bytes) -> Decrypted:
    data = glib_base64_decode(stored)
    if len(data) % 8:
        return Decrypted("clear", stored)
    if not data:
        return Decrypted("empty")
    from cryptography.hazmat.primitives.ciphers import Cipher, modes

    decryptor = Cipher(_triple_des(secret[:24]), modes.CBC(secret[24:32])).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    end = plain.find(b"\0")
    if end < 0 or plain[end:] != b"\0" * (len(plain) - end) or len(plain) - end != 8 - end % 8:
        return Decrypted("garbage")
    try:
        text = plain[:end].decode("utf-8")
    except UnicodeDecodeError:
        return Decrypted("garbage")
    if any((ord(c) < 0x20 and c not in _ALLOWED_CONTROLS) or ord(c) == 0x7F for c in text):
        return Decrypted("garbage")
    return Decrypted("ok", text)
