"""WinSCP's stored passwords [code: winscp/winscp ``source/core/Security.cpp``, ``Cryptography.cpp``,
``windows/WinConfiguration.cpp`` at 7221bf08].

Without a master password a password is only obfuscated: every byte ``b`` is stored as two
upper-case hex digits of ``~b ^ 0xA3``; the stream is ``0xFF`` (flag), ``0x00`` (version) and a
length byte (version ``0x02``: two length bytes, for more than 255), a ``shift`` byte and that many
random bytes, then ``key + password`` in UTF-8, padded with random bytes to 100 hex digits. The key
is ``UserName + HostName`` (``TunnelUserName + TunnelHostName`` for the tunnel's password); when the
text does not start with it WinSCP takes the password as empty. Values from before the flag existed
start with the length itself and carry no key.

With a master password set, values are ``0xFF``, ``0x01`` (version "external") and then the hex of
``salt (16) | AES-256-CTR ciphertext | MAC (10)``: WinZip-style AES (Gladman's ``fcrypt``, mode 3).
PBKDF2-HMAC-SHA1 with 1,000 iterations gives 66 bytes, an AES key (32), a MAC key (32) and a
2-byte verifier WinSCP does not use. The counter block is a 64-bit little-endian block number
(from 1) followed by 8 zero bytes. The MAC is HMAC-SHA1 of the ciphertext, cut to 10 bytes. The
plaintext is the password "scrambled" (``ScramblePassword``: random non-digit padding, three
length digits, the UTF-8 password, each byte chained through a fixed permutation). The
configuration's ``[Configuration\\Security]`` ``MasterPasswordVerifier`` is ``salt | 16 random
bytes | MAC of encrypting them``: it tells a wrong master password from a damaged value.
"""

from __future__ import annotations

import hashlib
import hmac
import re

MAGIC = 0xA3
FLAG = 0xFF
VERSION_SHORT, VERSION_EXTERNAL, VERSION_LONG = 0x00, 0x01, 0x02
SALT_BYTES, MAC_BYTES, KDF_ITERATIONS = 16, 10, 1000
#: ``SScrambleTable`` of Cryptography.cpp: a permutation of the 256 byte values.
SCRAMBLE = bytes.fromhex(
    "00dfebe9f0b9586616821b354f7d42c95a47333c8668acf48b545b0c7b9bed97c0065720d326954ba49134c8e0e29c32"
    "88bee83f81d1b5781c63a85ec628ee7037d97c3ee31e24f2d08aaee71a36d694259d1389bb6fe4276e11c5e576f69950"
    "15804575ea233a435c0784bd05670a0ffcc34693f1ca6b3114fb854ccc49cb87b84ec2b701796d0b8f90aba130cdf52e"
    "1f48a983efa019cfda922b8c7fff51622a73ad8e720d02db3938187e03e62fd7092c9f21f9125d5f1d71dc5961b6f840"
    "442204524ac4d5a5b3fa6cfe3b0eecaf55c7536a4db2a7e12df7a39e08dd3dbf7710fd69ba17aa64d841a27a96b09ac1"
    "cedebc98d2f3602956b465b1a68dd474"
)
UNSCRAMBLE = bytes(sorted(range(256), key=lambda i: SCRAMBLE[i]))
_HEX = re.compile(r"[0-9A-F]*")
#: A stored password is at most a few hundred hex digits; anything longer is not one.
MAX_VALUE_CHARS = 64 * 1024


class CorruptValue(ValueError):
    """The stored text is not a value of WinSCP's schemes (bad hex, cut short, not UTF-8)."""


class MacMismatch(ValueError):
    """A master-password value whose MAC does not check out: wrong master password, or damaged."""


class _Stream:
    def __init__(self, text: str):
        if len(text) > MAX_VALUE_CHARS:
            raise CorruptValue("the value is far longer than a stored password")
        if not _HEX.fullmatch(text) or len(text) % 2:
            raise CorruptValue("the value is not WinSCP's upper-case hex")
        self.data = bytes((~b ^ MAGIC) & 0xFF for b in bytes.fromhex(text))
        self.pos = 0

    def next(self) -> int:
        if self.pos >= len(self.data):
            raise CorruptValue("the value is cut short")
        self.pos += 1
        return self.data[self.pos - 1]


def is_master_encrypted(text: str) -> bool:
    """True for a value encrypted with the master password (flag ``FF``, version ``01``: ``A35D`` in hex)."""
    return text.startswith("A35D")


def decrypt_simple(text: str, key: str) -> str | None:
    """The password of an obfuscated value; None when it was stored for another key (WinSCP then uses
    no password). ``CorruptValue`` when the text is not such a value."""
    s = _Stream(text)
    flag = s.next()
    if flag == FLAG:
        version = s.next()
        if version == VERSION_SHORT:
            length = s.next()
        elif version == VERSION_LONG:
            length = (s.next() << 8) + s.next()
        else:
            raise CorruptValue(f"the value has version {version}, which this reader does not know")
    else:
        length = flag
    for _ in range(s.next()):
        s.next()
    result = bytes(s.next() for _ in range(length))
    if flag == FLAG:
        prefix = key.encode("utf-8")
        if result[: len(prefix)] != prefix:
            return None
        result = result[len(prefix) :]
    try:
        return result.decode("utf-8")
    except UnicodeDecodeError:
        raise CorruptValue("the value does not decode to UTF-8 text") from None


def encrypt_simple(password: str, key: str, random: bytes) -> str:
    """``EncryptPassword`` with the given random bytes (tests and samples; at least 100 of them)."""
    data = (key + password).encode("utf-8")
    out = [FLAG]
    out += [VERSION_LONG, len(data) >> 8, len(data) & 0xFF] if len(data) > 255 else [VERSION_SHORT, len(data)]
    data_len = len(out) + 1 + len(data)
    shift = random[0] % (50 - data_len) if data_len < 50 else 0
    out.append(shift)
    out += random[1 : 1 + shift]
    out += data
    pad = iter(random[1 + shift :])
    while len(out) < 50:
        out.append(next(pad))
    return bytes((~b ^ MAGIC) & 0xFF for b in out).hex().upper()


def _keys(master: str, salt: bytes) -> tuple[bytes, bytes]:
    material = hashlib.pbkdf2_hmac("sha1", master.encode("utf-8"), salt, KDF_ITERATIONS, 66)
    return material[:32], material[32:64]


def _ctr(key: bytes, data: bytes) -> bytes:
    blocks = (len(data) + 15) // 16
    counters = b"".join(n.to_bytes(8, "little") + bytes(8) for n in range(1, blocks + 1))
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # not at detection

    op = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # the counter blocks, as fcrypt makes them
    stream = op.update(counters) + op.finalize()
    return bytes(a ^ b for a, b in zip(data, stream[: len(data)], strict=True))


def _mac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha1).digest()[:MAC_BYTES]


def master_blob(text: str) -> bytes:
    """The ``salt | ciphertext | MAC`` bytes of a master-password value (``CorruptValue`` if malformed)."""
    body = text[4:]
    if len(body) > MAX_VALUE_CHARS or not re.fullmatch(r"[0-9A-Fa-f]*", body) or len(body) % 2:
        raise CorruptValue("the master-password value is not hex")
    blob = bytes.fromhex(body)
    if len(blob) <= SALT_BYTES + MAC_BYTES:
        raise CorruptValue("the master-password value is too short")
    return blob


def decrypt_master(text: str, master: str) -> str:
    blob = master_blob(text)
    salt, encrypted, mac = blob[:SALT_BYTES], blob[SALT_BYTES:-MAC_BYTES], blob[-MAC_BYTES:]
    aes_key, mac_key = _keys(master, salt)
    if not hmac.compare_digest(_mac(mac_key, encrypted), mac):
        raise MacMismatch("the MAC does not match")
    password = unscramble(_ctr(aes_key, encrypted))
    if password is None:
        raise CorruptValue("the decrypted value is not a scrambled password")
    return password


def encrypt_master(password: str, master: str, salt: bytes, padding: bytes) -> str:
    aes_key, mac_key = _keys(master, salt)
    encrypted = _ctr(aes_key, scramble(password, padding))
    return "A35D" + (salt + encrypted + _mac(mac_key, encrypted)).hex().upper()


def verify_master(verifier_hex: str, master: str) -> bool | None:
    """True/False for the configuration's ``MasterPasswordVerifier``; None when it is malformed."""
    try:
        verifier = bytes.fromhex(verifier_hex.strip())
    except ValueError:
        return None
    if len(verifier) != 2 * SALT_BYTES + MAC_BYTES:
        return None
    salt, dummy, mac = verifier[:SALT_BYTES], verifier[SALT_BYTES : 2 * SALT_BYTES], verifier[2 * SALT_BYTES :]
    aes_key, mac_key = _keys(master, salt)
    return hmac.compare_digest(_mac(mac_key, _ctr(aes_key, dummy)), mac)


def make_verifier(master: str, salt: bytes, dummy: bytes) -> str:
    aes_key, mac_key = _keys(master, salt)
    return (salt + dummy + _mac(mac_key, _ctr(aes_key, dummy))).hex().upper()


def scramble(password: str, padding: bytes) -> bytes:
    """``ScramblePassword``, with the padding bytes given (non-zero, non-digit ones are used)."""
    data = password.encode("utf-8")
    n = len(data)
    count = ((n + 3) // 17) * 17 + 17 - 3 - n
    pad = [b for b in padding if b and not 0x30 <= b <= 0x39][:count]
    if len(pad) < count:
        raise ValueError("not enough padding bytes")
    buf = bytes(pad) + bytes([0x30 + n % 10, 0x30 + (n // 10) % 10, 0x30 + (n // 100) % 10]) + data
    out = bytearray()
    last = 31
    for b in buf:
        last = (last + b) % 255 + 1
        out.append(SCRAMBLE[last])
    return bytes(out)


def unscramble(data: bytes) -> str | None:
    """``UnscramblePassword``: the password, or None when the bytes are not a scrambled one."""
    if 0 in data:
        return None  # WinSCP reads it as a C string; scrambling never writes a zero byte
    out = bytearray()
    last = 31
    for b in data:
        x = UNSCRAMBLE[b] - 1 - (last % 255)
        if x <= 0:
            x += 255
        out.append(x)
        last = (last + x) % 255 + 1
    start = next((i for i, b in enumerate(out) if 0x30 <= b <= 0x39), len(out))
    if len(out) - start < 3:
        return None
    n = (out[start] - 0x30) + 10 * (out[start + 1] - 0x30) + 100 * (out[start + 2] - 0x30)
    total = ((n + 3) // 17) * 17 + 17
    if n < 0 or total != len(out) or total - start - 3 != n:
        return None
    try:
        return bytes(out[len(out) - n :]).decode("utf-8")
    except UnicodeDecodeError:
        return None
