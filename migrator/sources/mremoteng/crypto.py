"""mRemoteNG's two encryption schemes, for single attribute values and for whole documents.

AEAD (ConfVersion 2.6 and later): a value is base64(salt 16 | nonce | ciphertext | tag 16), AES-256
in GCM (16-byte nonce) or CCM (11-byte nonce), the salt as additional authenticated data, and the key
PBKDF2-HMAC-SHA1(master password as Latin-1 bytes, salt, KdfIterations, 32 bytes)
[code: mRemoteNG ``Security/SymmetricEncryption/AeadCryptographyProvider.cs``,
``Security/KeyDerivation/Pkcs5S2KeyGenerator.cs``; BouncyCastle turns each UTF-16 unit into one byte,
so a master password with a character above U+00FF cannot exist]. Every value has its own random salt,
so a key is derived once per value: keys are cached per salt, and ``prefetch`` derives a batch on a
few threads (``hashlib.pbkdf2_hmac`` releases the GIL).

Legacy (older files, files without usable crypto attributes, and the whole-file blob): a value is
base64(IV 16 | AES-128-CBC, PKCS#7), key MD5(UTF-8 master password)
[code: ``LegacyRijndaelCryptographyProvider.cs``]. It has no authentication, so only the ``Protected``
check value can tell a wrong password from a right one.

Nothing here knows a value's meaning; ``DecryptError`` messages never contain key material or text.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import hashlib
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from migrator.sources.secrets import KDF_ITERATIONS_PER_READ, KdfBudget

# cryptography is imported where a value is decrypted: detecting formats must not load it

#: The master password mRemoteNG uses when the user set none [code: ``Tree/Root/RootNodeInfo.cs``].
DEFAULT_MASTER = "mR3m"
#: What the root's ``Protected`` attribute decrypts to [code: ``XmlRootNodeSerializer.cs``].
NOT_PROTECTED = "ThisIsNotProtected"
PROTECTED = "ThisIsProtected"
#: mRemoteNG refuses fewer iterations [code: ``Pkcs5S2KeyGenerator.cs``].
MIN_KDF_ITERATIONS = 1000
#: Its options page allows at most 50,000; far more is a hostile file that would take hours to read.
MAX_KDF_ITERATIONS = 1_000_000
#: PBKDF2 iterations one read may spend in total (keys x KdfIterations). Every value has its own salt, so
#: the file sets the cost: this covers 50,000 passwords at 1.77's default 10,000 iterations, or 10,000 at
#: the options page's maximum (a few minutes), while a crafted file cannot run for hours. Values past it
#: fail with ``WorkExhausted`` and their entries are held.
MAX_KDF_WORK = KDF_ITERATIONS_PER_READ

LEGACY, GCM, CCM = "legacy", "GCM", "CCM"
_NONCE = {GCM: 16, CCM: 11}
_SALT = 16
_TAG = 16
_IV = 16
_WHITESPACE = str.maketrans("", "", " \t\r\n")  # Convert.FromBase64String skips these
_THREADS = max(1, min(4, os.cpu_count() or 1))


class DecryptError(Exception):
    """A value does not decrypt; the message says why without quoting the value."""


class WorkExhausted(DecryptError):
    """Decrypting the value would derive one more key than ``MAX_KDF_WORK`` allows for one read."""


@dataclass(frozen=True)
class Scheme:
    """How one file encrypts: ``LEGACY``, or an AEAD mode with its PBKDF2 iteration count."""

    kind: str
    iterations: int = 0

    def describe(self) -> str:
        if self.kind == LEGACY:
            return "legacy AES-CBC"
        return f"AES-{self.kind}, {self.iterations:,} PBKDF2 iterations"


def _raw(value: str) -> bytes:
    try:
        return base64.b64decode(value.translate(_WHITESPACE), validate=True)
    except (binascii.Error, ValueError):
        raise DecryptError("is not an encrypted value (not base64)") from None


def _text(plain: bytes) -> str:
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError:
        raise DecryptError("does not decrypt to UTF-8 text (wrong password or damaged value)") from None


def usable(scheme: Scheme, master: str) -> bool:
    """Whether mRemoteNG could have encrypted with ``master``: AEAD keys need Latin-1, none may be blank."""
    if not master.strip():
        return False
    if scheme.kind == LEGACY:
        return True
    try:
        master.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


class ValueCipher:
    """One scheme and one master password: decrypts (and, for AEAD, encrypts) attribute values."""

    def __init__(self, scheme: Scheme, master: str):
        self.scheme = scheme
        if scheme.kind == LEGACY:
            self._legacy_key = hashlib.md5(master.encode("utf-8"), usedforsecurity=False).digest()
        else:
            self._secret = master.encode("latin-1")
        self._keys: dict[bytes, bytes] = {}
        self._plain: dict[str, str] = {}
        self._budget = KdfBudget(MAX_KDF_WORK)

    def _derive(self, salt: bytes) -> bytes:
        return hashlib.pbkdf2_hmac("sha1", self._secret, salt, self.scheme.iterations, 32)

    def _key(self, salt: bytes) -> bytes:
        key = self._keys.get(salt)
        if key is None:
            if not self._budget.spend(self.scheme.iterations):
                raise WorkExhausted(
                    f"is not decrypted: this file needs more than {MAX_KDF_WORK:,} PBKDF2 iterations in total "
                    f"(a key of {self.scheme.iterations:,} iterations per encrypted value), more than one read "
                    "spends; lower KdfIterations in mRemoteNG (Options > Security) and save the file again"
                )
            key = self._keys[salt] = self._derive(salt)
        return key

    def prefetch(self, values: Iterable[str]) -> None:
        """Derive the keys of many values at once, on a few threads; unparsable values are skipped."""
        if self.scheme.kind == LEGACY:
            return
        salts: dict[bytes, None] = {}
        for value in values:
            if not value or not value.strip() or value in self._plain:
                continue
            try:
                raw = _raw(value)
            except DecryptError:
                continue
            salt = raw[:_SALT]
            if len(salt) == _SALT and salt not in self._keys and salt not in salts:
                if not self._budget.spend(self.scheme.iterations):
                    break
                salts[salt] = None
        todo = list(salts)
        if len(todo) < 4 or _THREADS == 1:
            for salt in todo:
                self._keys[salt] = self._derive(salt)
            return
        with ThreadPoolExecutor(max_workers=_THREADS) as pool:
            for salt, key in zip(todo, pool.map(self._derive, todo), strict=True):
                self._keys[salt] = key

    def decrypt(self, value: str) -> str:
        """The plaintext of one value; blank stays blank (mRemoteNG stores an empty secret as ``""``)."""
        if not value.strip():
            return ""
        cached = self._plain.get(value)
        if cached is not None:
            return cached
        raw = _raw(value)
        text = self._legacy(raw) if self.scheme.kind == LEGACY else self._aead(raw)
        self._plain[value] = text
        return text

    def _aead(self, raw: bytes) -> str:
        nonce_len = _NONCE[self.scheme.kind]
        if len(raw) < _SALT + nonce_len + _TAG:
            raise DecryptError("is too short to be an encrypted value")
        salt, nonce, body = raw[:_SALT], raw[_SALT : _SALT + nonce_len], raw[_SALT + nonce_len :]
        key = self._key(salt)
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM

        aead = AESGCM(key) if self.scheme.kind == GCM else AESCCM(key, tag_length=_TAG)
        try:
            return _text(aead.decrypt(nonce, body, salt))
        except InvalidTag:
            raise DecryptError("does not decrypt (wrong password or damaged value)") from None

    def _legacy(self, raw: bytes) -> str:
        if len(raw) < 2 * _IV or len(raw) % _IV:
            raise DecryptError("is not an AES-CBC value (wrong length)")
        from cryptography.hazmat.primitives import padding
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        decryptor = Cipher(algorithms.AES(self._legacy_key), modes.CBC(raw[:_IV])).decryptor()
        padded = decryptor.update(raw[_IV:]) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        try:
            plain = unpadder.update(padded) + unpadder.finalize()
        except ValueError:
            raise DecryptError("does not decrypt (wrong password or damaged value)") from None
        # .NET's StreamReader drops a byte-order mark and honours a UTF-16 one.
        for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")):
            if plain.startswith(bom):
                try:
                    return plain[len(bom) :].decode(codec)
                except UnicodeDecodeError:
                    raise DecryptError("does not decrypt to text (wrong password or damaged value)") from None
        return _text(plain)

    def encrypt(self, plain: str) -> str:
        """An AEAD value as mRemoteNG writes it (random salt and nonce); ``""`` stays ``""``."""
        if self.scheme.kind == LEGACY:
            raise ValueError("only the AEAD scheme is written")
        if not plain:
            return ""
        salt, nonce = os.urandom(_SALT), os.urandom(_NONCE[self.scheme.kind])
        key = self._key(salt)
        from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM

        aead = AESGCM(key) if self.scheme.kind == GCM else AESCCM(key, tag_length=_TAG)
        return base64.b64encode(salt + nonce + aead.encrypt(nonce, plain.encode("utf-8"), salt)).decode("ascii")


def shape_error(scheme: Scheme, value: str) -> str | None:
    """Why ``value`` cannot be an encrypted value of ``scheme`` whatever the password, or None."""
    try:
        raw = _raw(value)
    except DecryptError as exc:
        return str(exc)
    if scheme.kind == LEGACY:
        return None if len(raw) >= 2 * _IV and not len(raw) % _IV else "is not an AES-CBC value (wrong length)"
    return None if len(raw) >= _SALT + _NONCE[scheme.kind] + _TAG else "is too short to be an encrypted value"


@dataclass(frozen=True)
class Unlocked:
    """The scheme and master password that opened a file, and what ``Protected`` said."""

    cipher: ValueCipher
    master_index: int
    check: str


def unlock(schemes: list[Scheme], protected: str, masters: list[str]) -> Unlocked | None:
    """The first (scheme, master) under which ``protected`` is a valid check value, or None.

    AEAD authenticates, so any plaintext proves the password; legacy CBC does not, so its plaintext
    must be one of the two texts mRemoteNG writes.
    """
    for scheme in schemes:
        for index, master in enumerate(masters):
            if not usable(scheme, master):
                continue
            cipher = ValueCipher(scheme, master)
            try:
                text = cipher.decrypt(protected)
            except DecryptError:
                continue
            if scheme.kind != LEGACY or text in (NOT_PROTECTED, PROTECTED):
                return Unlocked(cipher, index, text)
    return None


def decrypt_document(blob: str, masters: list[str]) -> tuple[str, int] | None:
    """A legacy whole-file blob's XML text and the index of the master that opened it, or None."""
    for index, master in enumerate(masters):
        if not usable(Scheme(LEGACY), master):
            continue
        try:
            text = ValueCipher(Scheme(LEGACY), master).decrypt(blob)
        except DecryptError:
            continue
        if text.lstrip("\ufeff \t\r\n").startswith("<"):
            return text, index
    return None
