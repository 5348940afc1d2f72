"""Writing ``WinSCP.ini`` files for tests, with WinSCP's own escaping and password algorithms.

Written from WinSCP's source (winscp/winscp 7221bf08: ``core/Security.cpp`` ``EncryptPassword``,
``core/Cryptography.cpp`` ``ScramblePassword``/``AES256EncyptWithMAC``/``AES256CreateVerifier``,
``core/HierarchicalStorage.cpp`` ``MungeStr``, PuTTY's ``escape_registry_key``), independently of
the reader under test, with random shifts, padding and salts as WinSCP draws them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import random

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

#: Public vector [rapid7/metasploit-framework ``spec/lib/rex/parser/winscp_spec.rb``]:
#: (UserName, HostName, Password=, plaintext).
METASPLOIT_VECTOR = (
    "username",
    "server.feralhosting.com",
    "A35C7659654B2AB83C292F392E323D31392F392E2A392E723A392E3D3034332F2835323B723F33312F383A2F383A3B2F3B3B3B",
    "sdfsdfgsggg",
)
_TABLE = bytes.fromhex(  # SScrambleTable, core/Cryptography.cpp
    "00dfebe9f0b9586616821b354f7d42c95a47333c8668acf48b545b0c7b9bed97c0065720d326954ba49134c8e0e29c32"
    "88bee83f81d1b5781c63a85ec628ee7037d97c3ee31e24f2d08aaee71a36d694259d1389bb6fe4276e11c5e576f69950"
    "15804575ea233a435c0784bd05670a0ffcc34693f1ca6b3114fb854ccc49cb87b84ec2b701796d0b8f90aba130cdf52e"
    "1f48a983efa019cfda922b8c7fff51622a73ad8e720d02db3938187e03e62fd7092c9f21f9125d5f1d71dc5961b6f840"
    "442204524ac4d5a5b3fa6cfe3b0eecaf55c7536a4db2a7e12df7a39e08dd3dbf7710fd69ba17aa64d841a27a96b09ac1"
    "cedebc98d2f3602956b465b1a68dd474"
)


def munge(text: str) -> str:
    """``MungeStr``: UTF-8 behind a BOM when the text is not ASCII, then PuTTY's registry escaping."""
    data = text.encode("utf-8")
    if len(data) > len(text):
        data = b"\xef\xbb\xbf" + data
    out = []
    for i, b in enumerate(data):
        c = chr(b)
        if c in " \\*?%" or b < 0x20 or b > 0x7E or (c == "." and i == 0):
            out.append(f"%{b:02X}")
        else:
            out.append(c)
    return "".join(out)


def _char(b: int) -> str:
    return f"{(~b ^ 0xA3) & 0xFF:02X}"


def encrypt_password(password: str, key: str, rng: random.Random | None = None) -> str:
    """``EncryptPassword``: flag, version, length, a random shift of random bytes, key+password, padding."""
    rng = rng or random.Random(os.urandom(8))
    data = (key + password).encode("utf-8")
    out = _char(0xFF)
    if len(data) > 255:
        out += _char(0x02) + _char(len(data) >> 8) + _char(len(data) & 0xFF)
    else:
        out += _char(0x00) + _char(len(data))
    data_len = len(out) // 2 + 1 + len(data)
    shift = rng.randrange(50 - data_len) if data_len < 50 else 0
    out += _char(shift) + "".join(_char(rng.randrange(256)) for _ in range(shift))
    out += "".join(_char(b) for b in data)
    while len(out) < 100:
        out += _char(rng.randrange(256))
    return out


def _scramble(password: str) -> bytes:
    data = password.encode("utf-8")
    n = len(data)
    padding = ((n + 3) // 17) * 17 + 17 - 3 - n
    buf = bytearray()
    while len(buf) < padding:
        b = os.urandom(1)[0]
        if b and not 0x30 <= b <= 0x39:
            buf.append(b)
    buf += bytes([0x30 + n % 10, 0x30 + n // 10 % 10, 0x30 + n // 100 % 10]) + data
    last, out = 31, bytearray()
    for b in buf:
        last = (last + b) % 255 + 1
        out.append(_TABLE[last])
    return bytes(out)


def _fcrypt(master: str, salt: bytes, data: bytes) -> tuple[bytes, bytes]:
    """fcrypt mode 3: PBKDF2-HMAC-SHA1 (1000) keys, AES-256 over a little-endian counter, HMAC-SHA1/10."""
    kbuf = hashlib.pbkdf2_hmac("sha1", master.encode("utf-8"), salt, 1000, 66)
    enc = Cipher(algorithms.AES(kbuf[:32]), modes.ECB()).encryptor()
    stream = b"".join(enc.update(i.to_bytes(8, "little") + bytes(8)) for i in range(1, len(data) // 16 + 2))
    cipher = bytes(a ^ b for a, b in zip(data, stream, strict=False))
    return cipher, hmac.new(kbuf[32:64], cipher, hashlib.sha1).digest()[:10]


def encrypt_with_master(password: str, master: str) -> str:
    """``StronglyRecryptPassword``: the scrambled password, AES256EncyptWithMAC, SetExternalEncryptedPassword."""
    salt = os.urandom(16)
    cipher, mac = _fcrypt(master, salt, _scramble(password))
    return _char(0xFF) + _char(0x01) + (salt + cipher + mac).hex().upper()


def master_verifier(master: str) -> str:
    """``AES256CreateVerifier``: salt | 16 random bytes | the MAC of encrypting them."""
    salt, dummy = os.urandom(16), os.urandom(16)
    _, mac = _fcrypt(master, salt, dummy)
    return (salt + dummy + mac).hex().upper()


def site(host: str, **values) -> dict:
    """A site's values as WinSCP saves them (only what differs from the factory defaults)."""
    return {"HostName": host, **values}


def ini_text(
    sites: dict[str, dict],
    *,
    master: str | None = None,
    default_settings: dict | None = None,
    newline: str = "\r\n",
) -> str:
    """``WinSCP.ini`` with ``[Sessions\\<munged name>]`` sections; string values munged, numbers as written.

    A value given as ``("raw", text)`` is written unmunged (for hand-made or hostile lines).
    """
    lines: list[str] = []
    if default_settings is not None:
        lines += ["[Sessions\\Default%20Settings]", *_values(default_settings), ""]
    for name, values in sites.items():
        lines += [f"[Sessions\\{munge(name)}]", *_values(values), ""]
    lines += ["[Configuration\\Interface]", "RandomSeedFile=%25APPDATA%25%5Cwinscp.rnd", "ShowTips=0", ""]
    if master is not None:
        lines += [
            "[Configuration\\Security]",
            "UseMasterPassword=1",
            f"MasterPasswordVerifier={master_verifier(master)}",
        ]
    lines += ["[SshHostKeys]", "ssh-ed25519@22:web01.example.net=0x1234", ""]
    return newline.join(lines)


def _values(values: dict) -> list[str]:
    out = []
    for key, value in values.items():
        if isinstance(value, tuple):
            out.append(f"{key}={value[1]}")
        elif isinstance(value, bool) or isinstance(value, int):
            out.append(f"{key}={int(value)}")
        else:
            out.append(f"{key}={munge(value)}")
    return out


SAMPLE_PASSWORDS = {"bastion": "Bastion-WinSCP-Pw", "web01": "Web01 pässword %1", "gateway": "Gw-Tunnel-Pw"}
SAMPLE_MASTER = "Sample-WinSCP-Master"


def sample_sites(secret) -> dict[str, dict]:
    """The sites of ``samples/winscp``; ``secret(password, key)`` stores a password."""
    p = SAMPLE_PASSWORDS
    return {
        "Infrastructure/bastion": site(
            "bastion.example.net",
            UserName="jump",
            PortNumber=2222,
            Password=secret(p["bastion"], "jumpbastion.example.net"),
        ),
        "Production/web01": site(
            "web01.example.net",
            UserName="deploy",
            Password=secret(p["web01"], "deployweb01.example.net"),
            FSProtocol=2,
            Note="front end, reached through the bastion",
            Tunnel=1,
            TunnelHostName="bastion.example.net",
            TunnelPortNumber=2222,
            TunnelUserName="jump",
        ),
        "Production/db01": site(
            "db01.internal",
            UserName="postgres",
            PublicKeyFile="C:\\Users\\ops\\.ssh\\db01.ppk",
            Tunnel=1,
            TunnelHostName="gw@gateway.example.net",
            TunnelPassword=secret(p["gateway"], "gwgateway.example.net"),
        ),
        "Production/uploads": site("uploads.example.net", UserName="www", FSProtocol=5, PortNumber=21),
        "Release workspace/0000": site("web01.example.net", UserName="deploy", IsWorkspace=1),
    }


def write_samples(folder) -> None:
    """``samples/winscp``: ``WinSCP.ini`` (obfuscated passwords, no master password) and
    ``master-password/WinSCP.ini`` (encrypted with ``SAMPLE_MASTER``, kept in ``master-password.txt``)."""
    from pathlib import Path

    folder = Path(folder)
    defaults = {"UserName": "root", "PortNumber": 22}
    (folder / "WinSCP.ini").write_text(
        ini_text(sample_sites(encrypt_password), default_settings=defaults), encoding="ascii"
    )
    master = folder / "master-password"
    master.mkdir(parents=True, exist_ok=True)
    (master / "WinSCP.ini").write_text(
        ini_text(sample_sites(lambda pw, key: encrypt_with_master(pw, SAMPLE_MASTER)), master=SAMPLE_MASTER),
        encoding="ascii",
    )
    (master / "master-password.txt").write_text(SAMPLE_MASTER + "\n", encoding="utf-8")


if __name__ == "__main__":  # python tests/helpers/winscp.py samples/winscp
    import sys

    write_samples(sys.argv[1])
