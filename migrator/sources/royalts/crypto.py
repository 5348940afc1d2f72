"""Royal TS document secrets: AES-128-XTS under a key from a static prefix and the document password.

Facts from HyperSine's study (how-does-RoyalTS-encrypt-password, ``python3/RoyalTSCipher.py``),
checked here against its two public vectors (tests/data/README.md):

- a value is ``base64(salt 48 | header 16 | body)``;
- key = PBKDF2-HMAC-SHA1(static 50-byte prefix + UTF-8 document password, salt[0:40], 1000
  iterations, 32 bytes): AES-128-XTS (data key, then tweak key);
- header = XTS with tweak ``ff*8 00*8`` of ``"XTS1" | plaintext length (u64 LE) | data-unit size
  (u32 LE, 0x10000)``; a wrong document password shows as a header that is not ``XTS1``;
- body = data units of that size, each XTS with tweak = its index (u128 LE), the plaintext
  zero-padded to a multiple of 16 bytes.

``cryptography``'s XTS (checked with 51): a 32-byte key is AES-128-XTS; each data unit is one
``update`` call of at least 16 bytes (0 bytes gives nothing: an empty password has no body); it
refuses equal key halves when encrypting (PBKDF2 output never has them in practice) and a unit
under 16 bytes, which is reported as a damaged value. Zero padding means no unit needs ciphertext
stealing; a body exactly as long as the plaintext would be stealing, which Royal is not known to
write, and is decrypted the same way (cryptography steals) [inferred].
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct

#: The static prefix of every key (HyperSine, RoyalTSCipher.py).
KEY_PREFIX = b"jtWcgJq<MKE]@M#uH3yKZi]CznpP}?}VKr3r]h{<wkp%+FMwUz"
ITERATIONS = 1000
SALT_BYTES = 48
HEADER_BYTES = 16
HEADER_TWEAK = b"\xff" * 8 + b"\0" * 8
MAGIC = b"XTS1"
#: Royal writes 0x10000; larger units than this are not a value Royal wrote.
MAX_UNIT = 0x100000
#: A stored password longer than this is not a password.
MAX_PLAINTEXT = 1 << 20


class DamagedValue(ValueError):
    """The value is not a Royal TS encrypted value (wrong shape, or its body does not decrypt)."""


class WrongPassword(ValueError):
    """The header does not decrypt to ``XTS1``: the document password is not this one."""


def _xts(key: bytes, tweak: bytes, data: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # not at detection

    try:
        decryptor = Cipher(algorithms.AES(key), modes.XTS(tweak)).decryptor()
        return decryptor.update(data) + decryptor.finalize()
    except ValueError:  # a unit under 16 bytes, or (never from PBKDF2 in practice) equal key halves
        raise DamagedValue("a data unit cannot be decrypted") from None


def split_value(value: str) -> tuple[bytes, bytes, bytes]:
    """The salt, header and body of a stored value; ``DamagedValue`` when it has the wrong shape."""
    text = "".join(value.split())
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise DamagedValue("not base64") from None
    if len(raw) < SALT_BYTES + HEADER_BYTES:
        raise DamagedValue("too short for a salt and a header")
    return raw[:SALT_BYTES], raw[SALT_BYTES : SALT_BYTES + HEADER_BYTES], raw[SALT_BYTES + HEADER_BYTES :]


def derive_key(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha1", KEY_PREFIX + password.encode("utf-8"), salt[:40], ITERATIONS, 32)


def decrypt(value: str, password: str) -> str:
    """The plaintext of ``value`` under the document ``password`` ("" when the document has none)."""
    salt, header, body = split_value(value)
    key = derive_key(password, salt)
    plain_header = _xts(key, HEADER_TWEAK, header)
    if plain_header[:4] != MAGIC:
        raise WrongPassword("the header is not XTS1")
    length, unit = struct.unpack("<QI", plain_header[4:])
    if not 0 < unit <= MAX_UNIT or unit % 16 or length > MAX_PLAINTEXT:
        raise DamagedValue("the header holds impossible sizes")
    padded = -(-length // 16) * 16
    if len(body) not in (padded, length):
        raise DamagedValue("the body is not as long as the header says")
    out = bytearray()
    for index, start in enumerate(range(0, len(body), unit)):
        out += _xts(key, index.to_bytes(16, "little"), body[start : start + unit])
    try:
        return bytes(out[:length]).decode("utf-8")
    except UnicodeDecodeError:
        raise DamagedValue("the plaintext is not UTF-8") from None
