"""``SafePassword`` of an RDM export: base64 of 3DES-EDE2 in ECB mode with PKCS#7, a fixed key per block.

Facts from tijldeneut's (Photubias) RDM decryptor, checked here against the real exports in
mRemoteNG's ``feature/rdm_import`` branch (tests/data/README.md): the ``Terminal`` block (SSHShell
and Telnet) uses one key, ``RDP``, ``VNC`` and ``Host`` others. ECB shows: equal 8-byte blocks of
plaintext give equal blocks of ciphertext. ``PasswordHistory`` and ``Web`` use other, unknown keys.

2-key 3DES is ``key + key[:8]`` as a 24-byte key; ``cryptography`` keeps TripleDES in its
``decrepit`` module from 43 on.
"""

from __future__ import annotations

import base64
import binascii

#: The fixed key of each settings block (tijldeneut's RDM decryptor).
KEYS = {
    "Terminal": bytes.fromhex("a2ad48052935e0a4267e7093a4729845"),
    "RDP": bytes.fromhex("7e3aae8f0f93945cfc6dc9952c66c87f"),
    "VNC": bytes.fromhex("84d9128026a77dd3a102b64326bbbb7f"),
    "Host": bytes.fromhex("36841b0915f1c9dac6f2cfbe3100948f"),
}
#: A stored password longer than this is not a password.
MAX_VALUE = 64 * 1024


class NotFixedKey(ValueError):
    """The value does not decrypt with the block's fixed key (not base64, bad padding, not UTF-8)."""


def decrypt(block: str, value: str) -> str:
    """The password stored as ``value`` in the settings block ``block`` (``Terminal``, ``RDP``, ...)."""
    key = KEYS[block]
    text = "".join(value.split())
    if len(text) > MAX_VALUE:
        raise NotFixedKey("too long for a password")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise NotFixedKey("not base64") from None
    if not raw or len(raw) % 8:
        raise NotFixedKey("not a whole number of 8-byte blocks")
    from cryptography.hazmat.primitives import padding  # a value decrypted, not detection
    from cryptography.hazmat.primitives.ciphers import Cipher, modes

    try:
        from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    except ImportError:  # cryptography < 43
        from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES

    decryptor = Cipher(TripleDES(key + key[:8]), modes.ECB()).decryptor()
    padded = decryptor.update(raw) + decryptor.finalize()
    unpadder = padding.PKCS7(64).unpadder()
    try:
        plain = unpadder.update(padded) + unpadder.finalize()
        return plain.decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise NotFixedKey("does not decrypt with the fixed key") from None
