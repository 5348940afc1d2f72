"""A pure-Python Blowfish core: the cipher for SecureCRT's old ``Password`` scheme when the installed
``cryptography`` has no Blowfish, and the state that ``bcrypt_pbkdf`` expands (``bcrypt_pbkdf.py``).

The initial P-array and S-boxes are the hexadecimal digits of pi's fractional part (Schneier's
definition). They are computed here, once, with integer arithmetic (Machin's formula, about 60 ms)
instead of being pasted as a 1,042-word table; the tests check the first and last words against the
published table and the cipher against Eric Young's test vectors and ``cryptography``'s Blowfish.
"""

from __future__ import annotations

from functools import cache

_MASK = 0xFFFFFFFF
_P_WORDS = 18
_S_WORDS = 256
_TABLE_WORDS = _P_WORDS + 4 * _S_WORDS


@cache
def pi_words() -> tuple[int, ...]:
    """The first 1,042 32-bit words of pi's fractional part, P-array first then S-boxes 0-3."""
    bits = _TABLE_WORDS * 32 + 64  # 64 guard bits absorb the series' truncation errors
    one = 1 << bits

    def arctan_inverse(x: int) -> int:
        term = one // x
        total = term
        x2 = x * x
        k = 1
        while term:
            term //= x2
            step = term // (2 * k + 1)
            total += -step if k % 2 else step
            k += 1
        return total

    pi = 16 * arctan_inverse(5) - 4 * arctan_inverse(239)
    fraction = (pi - (3 << bits)) >> 64
    width = _TABLE_WORDS * 32
    return tuple((fraction >> (width - 32 * (i + 1))) & _MASK for i in range(_TABLE_WORDS))


def initial_state() -> tuple[list[int], list[list[int]]]:
    """A fresh copy of the initial P-array and the four S-boxes."""
    words = pi_words()
    p = list(words[:_P_WORDS])
    s = [list(words[_P_WORDS + i * _S_WORDS : _P_WORDS + (i + 1) * _S_WORDS]) for i in range(4)]
    return p, s


def key_words(key: bytes, count: int) -> list[int]:
    """``count`` big-endian words taken from ``key`` repeated cyclically (Blowfish's ``stream2word``)."""
    n = len(key)
    out = []
    pos = 0
    for _ in range(count):
        w = 0
        for _ in range(4):
            w = (w << 8) | key[pos]
            pos = pos + 1 if pos + 1 < n else 0
        out.append(w)
    return out


def encipher(left: int, right: int, p: list[int], s: list[list[int]]) -> tuple[int, int]:
    """One 64-bit block through the 16 rounds (the straightforward loop: used off the hot paths)."""
    s0, s1, s2, s3 = s
    for i in range(16):
        left ^= p[i]
        right ^= (((s0[left >> 24] + s1[(left >> 16) & 255]) ^ s2[(left >> 8) & 255]) + s3[left & 255]) & _MASK
        left, right = right, left
    return right ^ p[17], left ^ p[16]


def decipher(left: int, right: int, p: list[int], s: list[list[int]]) -> tuple[int, int]:
    s0, s1, s2, s3 = s
    for i in range(17, 1, -1):
        left ^= p[i]
        right ^= (((s0[left >> 24] + s1[(left >> 16) & 255]) ^ s2[(left >> 8) & 255]) + s3[left & 255]) & _MASK
        left, right = right, left
    return right ^ p[0], left ^ p[1]


def fill_p(p: list[int], s: list[list[int]], data: list[int] | None) -> tuple[int, int]:
    """Re-key the P-array by encrypting the running block (XORed with ``data`` words, if any)."""
    left = right = 0
    for i in range(0, _P_WORDS, 2):
        if data is not None:
            left ^= data[i % len(data)]
            right ^= data[(i + 1) % len(data)]
        left, right = encipher(left, right, p, s)
        p[i] = left
        p[i + 1] = right
    return left, right


def fill_s_with_data(p: list[int], s: list[list[int]], left: int, right: int, data: list[int]) -> None:
    """Re-key the S-boxes, XORing ``data`` words (continuing after the 18 the P-array used) into each block."""
    n = len(data)
    pos = _P_WORDS % n
    for box in s:
        for k in range(0, _S_WORDS, 2):
            left ^= data[pos]
            right ^= data[(pos + 1) % n]
            pos = (pos + 2) % n
            left, right = encipher(left, right, p, s)
            box[k] = left
            box[k + 1] = right


def fill_s(p: list[int], s: list[list[int]], left: int, right: int) -> None:
    """Re-key the S-boxes with no data: the hot loop of bcrypt (512 encryptions per call).

    The P-array does not change here, so its words live in locals, and the 16 rounds are unrolled
    without swaps (the roles of ``left`` and ``right`` alternate line by line). One mask per round
    is enough: the low 32 bits of a sum or an XOR depend only on the low 32 bits of the operands.
    """
    p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14, p15, p16, p17 = p
    s0, s1, s2, s3 = s
    m = _MASK
    lf, rt = left, right
    for box in s:
        for k in range(0, _S_WORDS, 2):
            lf ^= p0
            rt ^= p1 ^ ((((s0[lf >> 24] + s1[(lf >> 16) & 255]) ^ s2[(lf >> 8) & 255]) + s3[lf & 255]) & m)
            lf ^= p2 ^ ((((s0[rt >> 24] + s1[(rt >> 16) & 255]) ^ s2[(rt >> 8) & 255]) + s3[rt & 255]) & m)
            rt ^= p3 ^ ((((s0[lf >> 24] + s1[(lf >> 16) & 255]) ^ s2[(lf >> 8) & 255]) + s3[lf & 255]) & m)
            lf ^= p4 ^ ((((s0[rt >> 24] + s1[(rt >> 16) & 255]) ^ s2[(rt >> 8) & 255]) + s3[rt & 255]) & m)
            rt ^= p5 ^ ((((s0[lf >> 24] + s1[(lf >> 16) & 255]) ^ s2[(lf >> 8) & 255]) + s3[lf & 255]) & m)
            lf ^= p6 ^ ((((s0[rt >> 24] + s1[(rt >> 16) & 255]) ^ s2[(rt >> 8) & 255]) + s3[rt & 255]) & m)
            rt ^= p7 ^ ((((s0[lf >> 24] + s1[(lf >> 16) & 255]) ^ s2[(lf >> 8) & 255]) + s3[lf & 255]) & m)
            lf ^= p8 ^ ((((s0[rt >> 24] + s1[(rt >> 16) & 255]) ^ s2[(rt >> 8) & 255]) + s3[rt & 255]) & m)
            rt ^= p9 ^ ((((s0[lf >> 24] + s1[(lf >> 16) & 255]) ^ s2[(lf >> 8) & 255]) + s3[lf & 255]) & m)
            lf ^= p10 ^ ((((s0[rt >> 24] + s1[(rt >> 16) & 255]) ^ s2[(rt >> 8) & 255]) + s3[rt & 255]) & m)
            rt ^= p11 ^ ((((s0[lf >> 24] + s1[(lf >> 16) & 255]) ^ s2[(lf >> 8) & 255]) + s3[lf & 255]) & m)
            lf ^= p12 ^ ((((s0[rt >> 24] + s1[(rt >> 16) & 255]) ^ s2[(rt >> 8) & 255]) + s3[rt & 255]) & m)
            rt ^= p13 ^ ((((s0[lf >> 24] + s1[(lf >> 16) & 255]) ^ s2[(lf >> 8) & 255]) + s3[lf & 255]) & m)
            lf ^= p14 ^ ((((s0[rt >> 24] + s1[(rt >> 16) & 255]) ^ s2[(rt >> 8) & 255]) + s3[rt & 255]) & m)
            rt ^= p15 ^ ((((s0[lf >> 24] + s1[(lf >> 16) & 255]) ^ s2[(lf >> 8) & 255]) + s3[lf & 255]) & m)
            lf ^= p16 ^ ((((s0[rt >> 24] + s1[(rt >> 16) & 255]) ^ s2[(rt >> 8) & 255]) + s3[rt & 255]) & m)
            rt ^= p17
            box[k] = rt
            box[k + 1] = lf
            lf, rt = rt, lf


class Blowfish:
    """Blowfish with a key of 4-56 bytes: the standard key schedule, then ECB/CBC over whole blocks."""

    def __init__(self, key: bytes):
        if not 4 <= len(key) <= 56:
            raise ValueError("a Blowfish key has 4 to 56 bytes")
        self.p, self.s = initial_state()
        for i, w in enumerate(key_words(key, _P_WORDS)):
            self.p[i] ^= w
        left, right = fill_p(self.p, self.s, None)
        fill_s(self.p, self.s, left, right)

    def encrypt_cbc(self, data: bytes, iv: bytes = bytes(8)) -> bytes:
        _check_blocks(data)
        out = bytearray()
        prev_l, prev_r = int.from_bytes(iv[:4], "big"), int.from_bytes(iv[4:8], "big")
        for i in range(0, len(data), 8):
            left = int.from_bytes(data[i : i + 4], "big") ^ prev_l
            right = int.from_bytes(data[i + 4 : i + 8], "big") ^ prev_r
            prev_l, prev_r = encipher(left, right, self.p, self.s)
            out += prev_l.to_bytes(4, "big") + prev_r.to_bytes(4, "big")
        return bytes(out)

    def decrypt_cbc(self, data: bytes, iv: bytes = bytes(8)) -> bytes:
        _check_blocks(data)
        out = bytearray()
        prev_l, prev_r = int.from_bytes(iv[:4], "big"), int.from_bytes(iv[4:8], "big")
        for i in range(0, len(data), 8):
            c_l, c_r = int.from_bytes(data[i : i + 4], "big"), int.from_bytes(data[i + 4 : i + 8], "big")
            left, right = decipher(c_l, c_r, self.p, self.s)
            out += (left ^ prev_l).to_bytes(4, "big") + (right ^ prev_r).to_bytes(4, "big")
            prev_l, prev_r = c_l, c_r
        return bytes(out)


def _check_blocks(data: bytes) -> None:
    if len(data) % 8:
        raise ValueError("Blowfish works on whole 8-byte blocks")


def blowfish_cbc(key: bytes, data: bytes, *, decrypt: bool) -> bytes:
    """Blowfish-CBC with a zero IV: ``cryptography``'s (OpenSSL's) when it has Blowfish, else the core above."""
    _check_blocks(data)
    cipher = _openssl_blowfish(key)
    if cipher is not None:
        op = cipher.decryptor() if decrypt else cipher.encryptor()
        return op.update(data) + op.finalize()
    bf = Blowfish(key)
    return bf.decrypt_cbc(data) if decrypt else bf.encrypt_cbc(data)


def _openssl_blowfish(key: bytes):
    """A ``cryptography`` Blowfish-CBC cipher, or None when this installation has none.

    ``cryptography`` 43+ keeps Blowfish in ``hazmat.decrepit``; an OpenSSL 3 built without the legacy
    provider refuses it with ``UnsupportedAlgorithm``.
    """
    try:
        from cryptography.exceptions import UnsupportedAlgorithm
        from cryptography.hazmat.decrepit.ciphers.algorithms import Blowfish as OpenSslBlowfish
        from cryptography.hazmat.primitives.ciphers import Cipher, modes
    except ImportError:
        return None
    try:
        cipher = Cipher(OpenSslBlowfish(key), modes.CBC(bytes(8)))
        cipher.encryptor()
    except UnsupportedAlgorithm:
        return None
    return cipher
