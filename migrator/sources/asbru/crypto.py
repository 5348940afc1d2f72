"""The encryption of ``pass``, ``passphrase`` and hidden values in Ásbrú and PAC Manager files.

Every version encrypts with ``Crypt::CBC`` over Blowfish and one passphrase compiled into the
program (``lib/PACUtils.pm``, ``lib/PACMain.pm``, ``lib/PACConfig.pm`` at asbru-cm/asbru-cm
a8be1add3f01, the same string since PAC Manager): ``encrypt_hex`` writes the hex of
``"Salted__" + salt + ciphertext``. The key and IV come from OpenSSL's ``EVP_BytesToKey`` with MD5
and one round over passphrase and salt (Crypt::CBC's ``-pbkdf => 'opensslv1'``, which was also the
only derivation of Crypt::CBC 2.x): 56 key bytes (Crypt::Blowfish reports keysize 0, so Crypt::CBC
takes its ``max_keysize``) and 8 IV bytes; PKCS#5 padding. The salt differs by version (PAC
Manager and Ásbrú up to 6.3.3: the bytes ``12345678``; 6.4.0 on: ``pack('Q', 12345678)``, commits
3f8cfbf210e0 and a501aa369cc1; between them, never released, a random one), but it is always in
the header, so one reader decrypts all.

The file does not record whether a value is encrypted: ``asbru.yml`` always is (``_exporter``
calls ``_cipherCFG``), a partial export only when the user ticked "cipher" (``__exportNodes``).
Ásbrú itself tries to decrypt and keeps the text when that fails (``_decipherCFG`` in ``eval``);
so does ``reveal``: a value that is not the hex of a ``Salted__`` header is plain text.
"""

from __future__ import annotations

import hashlib
import re

#: The passphrase built into PAC Manager and every Ásbrú release.
BUILTIN_PASSPHRASE = b"PAC Manager (David Torrejon Vaquerizas, david.tv@gmail.com)"
_HEADER = b"Salted__"
_KEY_LEN, _BLOCK = 56, 8
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})+")


class NotDecryptable(ValueError):
    """A value with Crypt::CBC's header whose ciphertext is damaged; the message never shows it."""


def evp_bytes_to_key(passphrase: bytes, salt: bytes, key_len: int = _KEY_LEN, iv_len: int = _BLOCK):
    """OpenSSL ``EVP_BytesToKey`` with MD5 and one iteration (Crypt::CBC ``opensslv1``)."""
    out, block = b"", b""
    while len(out) < key_len + iv_len:
        block = hashlib.md5(block + passphrase + salt).digest()
        out += block
    return out[:key_len], out[key_len : key_len + iv_len]


def is_encrypted(value: str) -> bool:
    """True when ``value`` is what ``encrypt_hex`` writes: the hex of a ``Salted__`` header and blocks."""
    return (
        len(value) >= 48
        and len(value) % 16 == 0
        and value[:16].lower() == _HEADER.hex()
        and _HEX.fullmatch(value) is not None
    )


def decrypt_hex(value: str, passphrase: bytes = BUILTIN_PASSPHRASE) -> bytes:
    """The plaintext bytes of an ``encrypt_hex`` value; ``NotDecryptable`` when the padding is wrong."""
    raw = bytes.fromhex(value)
    salt, body = raw[8:16], raw[16:]
    key, iv = evp_bytes_to_key(passphrase, salt)
    from cryptography.hazmat.primitives.ciphers import Cipher, modes  # a value decrypted, not detection

    try:  # cryptography >= 43 keeps Blowfish among the "decrepit" algorithms
        from cryptography.hazmat.decrepit.ciphers.algorithms import Blowfish
    except ImportError:  # pragma: no cover - older cryptography
        from cryptography.hazmat.primitives.ciphers.algorithms import Blowfish

    decryptor = Cipher(Blowfish(key), modes.CBC(iv)).decryptor()
    plain = decryptor.update(body) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= _BLOCK or plain[-pad:] != bytes([pad]) * pad:
        raise NotDecryptable("the encrypted value is damaged (its padding is wrong)")
    return plain[:-pad]


def reveal(value: str) -> str:
    """The text of a ``pass``/``passphrase`` value: decrypted when encrypted, else as written.

    Ásbrú encrypts ``encode('UTF-8', $text)`` and decodes the result as UTF-8; bytes that are not
    UTF-8 raise ``NotDecryptable`` here instead of arriving as replacement characters.
    """
    if not is_encrypted(value):
        return value
    try:
        return decrypt_hex(value).decode("utf-8")
    except UnicodeDecodeError:
        raise NotDecryptable("the decrypted value is not UTF-8 text") from None
