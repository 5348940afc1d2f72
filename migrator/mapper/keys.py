"""Checks the SSH private key files the sources name, before anything is written to XPipe.

Everything that can go wrong with a key file (it is absent, unreadable, the public half, a PuTTY
``.ppk``, garbage, or the passphrase does not open it) is found at plan time, so a bad passphrase
fails the plan and not half an apply. The key's type and fingerprint come from the public key blob,
which also lets identical keys be recognised across hosts.

Loading goes through paramiko's key classes where they handle the key's type and cipher, and through
``cryptography`` (paramiko's own backend) for the formats paramiko does not read (PKCS#8 PEM, keys
encrypted with AES-GCM). Results are cached per resolved file and passphrase digest: three hundred
hosts sharing one key cost one parse. Neither a passphrase nor key material ever reaches a
``KeyInfo`` or the cache.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import re
import stat
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

import paramiko
from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa

from migrator.mapper.desired import secret_digest

STATUSES = (
    "ok",
    "missing",
    "unreadable",
    "public-key",
    "ppk",
    "needs-passphrase",
    "bad-passphrase",
    "not-a-key",
    "not-local",
)
#: Statuses that must fail a plan. The others map to something XPipe can still use: a file that may
#: exist where XPipe runs, Pageant for a .ppk, a prompt for a missing passphrase.
BLOCKING_STATUSES = frozenset({"unreadable", "public-key", "bad-passphrase", "not-a-key"})

#: Larger than any SSH private key (an RSA-16384 PEM is about 13 KB); bigger files are not read.
MAX_KEY_FILE_BYTES = 1 << 20

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
_WINDOWS_VARIABLE = re.compile(r"%([A-Za-z_][A-Za-z0-9_()]+)%")
_PEM_BEGIN = re.compile(r"^-----BEGIN ([A-Z0-9 ]+)-----\s*$", re.MULTILINE)
_SSH2_PUBLIC_BEGIN = "---- BEGIN SSH2 PUBLIC KEY ----"
_SSH2_PRIVATE_BEGIN = "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----"
_PPK_HEADER = re.compile(r"^PuTTY-User-Key-File-\d+:\s*(\S+)\s*$")
_OPENSSH_MAGIC = b"openssh-key-v1\x00"

_PARAMIKO_CLASSES = {
    "ssh-ed25519": paramiko.Ed25519Key,
    "ssh-rsa": paramiko.RSAKey,
    "ecdsa-sha2-nistp256": paramiko.ECDSAKey,
    "ecdsa-sha2-nistp384": paramiko.ECDSAKey,
    "ecdsa-sha2-nistp521": paramiko.ECDSAKey,
}
#: OpenSSH-format ciphers each loader decrypts (checked against paramiko 5.1 and cryptography 50).
#: paramiko's Ed25519Key has its own reader with a wider table than the RSA/ECDSA one.
_PARAMIKO_ED25519_CIPHERS = frozenset(
    {"aes128-ctr", "aes192-ctr", "aes256-ctr", "aes128-cbc", "aes192-cbc", "aes256-cbc", "3des-cbc"}
)
_PARAMIKO_CIPHERS = frozenset({"aes256-ctr", "aes256-cbc"})
_CRYPTOGRAPHY_CIPHERS = frozenset({"aes256-ctr", "aes256-cbc", "aes256-gcm@openssh.com"})
#: Legacy PEM ``DEK-Info`` ciphers paramiko decrypts; other ones go through cryptography.
_PARAMIKO_PEM_CIPHERS = frozenset({"AES-128-CBC", "AES-256-CBC", "DES-EDE3-CBC"})

_DSA_ADVICE = (
    "a DSA (ssh-dss) key, which OpenSSH disables since 7.0 and removed in 10.0: "
    "create an ed25519 key and use that instead"
)


@dataclass(frozen=True)
class KeyInfo:
    """What is known about one key file as a source wrote it; ``message`` is safe to show."""

    path: str
    resolved: str | None
    status: str
    key_type: str | None = None
    fingerprint: str | None = None
    encrypted: bool | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def blocking(self) -> bool:
        return self.status in BLOCKING_STATUSES


@dataclass(frozen=True)
class _Finding:
    """The cached, path-spelling-independent part of a KeyInfo; ``detail`` holds no secrets."""

    status: str
    key_type: str | None = None
    fingerprint: str | None = None
    encrypted: bool | None = None
    detail: str = ""


class _Unreadable(Exception):
    def __init__(self, status: str, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


class KeyInspector:
    """Inspects key files named by sources; one instance per run shares its cache across hosts."""

    def __init__(self, home: Path | None = None, platform: str | None = None):
        self.home = Path(home) if home is not None else Path.home()
        self.platform = platform if platform is not None else sys.platform
        self._cache: dict[tuple[str, str | None], _Finding] = {}

    @property
    def windows(self) -> bool:
        return self.platform.startswith("win")

    def inspect(self, path: str, passphrase=None) -> KeyInfo:
        """Inspect the key file ``path`` (as written in a source) with an optional passphrase.

        ``passphrase`` may be a ``str`` or a pydantic ``SecretStr``; an empty one counts as none,
        since OpenSSH cannot encrypt a key with an empty passphrase.
        """
        secret = _plain(passphrase)
        resolved, unresolved = self._resolve(path)
        if resolved is None:
            finding = _by_name(path) or unresolved
        else:
            cache_key = (resolved, secret_digest(secret, 64) if secret is not None else None)
            finding = self._cache.get(cache_key)
            if finding is None:
                finding = _analyse_file(resolved, secret)
                self._cache[cache_key] = finding
        return KeyInfo(
            path=path,
            resolved=resolved,
            status=finding.status,
            key_type=finding.key_type,
            fingerprint=finding.fingerprint,
            encrypted=finding.encrypted,
            message=_message(path, finding),
        )

    def _resolve(self, path: str) -> tuple[str | None, _Finding | None]:
        """The absolute local path, or None and the finding that explains why there is none."""
        text = path.strip()
        if not text:
            return None, _Finding("missing", detail="no file name is given")
        if not self.windows and _looks_windows(text):
            return None, _Finding("not-local")
        if self.windows:
            text = _WINDOWS_VARIABLE.sub(self._windows_variable, text)
        if text == "~" or text.startswith(("~/", "~\\")):
            text = str(self.home) + text[1:]
        elif text.startswith("~"):
            text = os.path.expanduser(text)
            if text.startswith("~"):
                return None, _Finding("missing", detail="that user is not known on this machine")
        return os.path.abspath(text), None

    def _windows_variable(self, match: re.Match) -> str:
        name = match.group(1).upper()
        if name == "USERPROFILE":
            return str(self.home)
        for key, value in os.environ.items():
            if key.upper() == name:
                return value
        return match.group(0)


def _plain(passphrase) -> str | None:
    if passphrase is not None and hasattr(passphrase, "get_secret_value"):
        passphrase = passphrase.get_secret_value()
    return passphrase or None


def _looks_windows(text: str) -> bool:
    return bool(_WINDOWS_DRIVE.match(text) or text.startswith("\\\\") or "\\" in text or _WINDOWS_VARIABLE.search(text))


def _by_name(path: str) -> _Finding | None:
    """What a file name alone says, for files that cannot be read here or hold no key."""
    name = path.strip().lower()
    if name.endswith(".ppk"):
        return _Finding("ppk")
    if name.endswith(".pub"):
        return _Finding("public-key")
    return None


def fingerprint(blob: bytes) -> str:
    """The ``SHA256:...`` form ``ssh-keygen -lf`` prints (base64 without padding)."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii").rstrip("=")


def _analyse_file(resolved: str, passphrase: str | None) -> _Finding:
    """Read and classify one key file: the expensive step the inspector's cache guards."""
    try:
        data = _read_key_file(resolved)
    except _Unreadable as problem:
        if problem.status == "missing":
            return _by_name(resolved) or _Finding("missing")
        return _Finding(problem.status, detail=problem.detail)
    try:
        text = data.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError:
        return _by_name(resolved) or _Finding("not-a-key", detail="it holds binary data, not a key")
    finding = _analyse_text(text, passphrase)
    if finding.status == "not-a-key":
        return _by_name(resolved) or finding
    return finding


def _read_key_file(resolved: str) -> bytes:
    try:
        info = os.stat(resolved)
    except (FileNotFoundError, NotADirectoryError) as e:
        raise _Unreadable("missing", "") from e
    except PermissionError as e:
        raise _Unreadable("unreadable", "permission denied") from e
    except OSError as e:
        raise _Unreadable("unreadable", e.strerror or type(e).__name__) from e
    if stat.S_ISDIR(info.st_mode):
        raise _Unreadable("unreadable", "it is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise _Unreadable("unreadable", "it is not a regular file")
    try:
        with open(resolved, "rb") as f:
            data = f.read(MAX_KEY_FILE_BYTES + 1)
    except PermissionError as e:
        raise _Unreadable("unreadable", "permission denied") from e
    except OSError as e:
        raise _Unreadable("unreadable", e.strerror or type(e).__name__) from e
    if len(data) > MAX_KEY_FILE_BYTES:
        raise _Unreadable("not-a-key", "it is far larger than any key file")
    return data


def _analyse_text(text: str, passphrase: str | None) -> _Finding:
    stripped = text.lstrip()
    if _PPK_HEADER.match(stripped.split("\n", 1)[0]):
        return _ppk(stripped)
    public = _public_key(stripped)
    if public is not None:
        return public
    if stripped.startswith(_SSH2_PRIVATE_BEGIN):
        return _Finding(
            "not-a-key",
            detail="an ssh.com (SSH2) private key, which OpenSSH cannot read: convert "
            "it with puttygen (-O private-openssh)",
        )
    blocks = list(_PEM_BEGIN.finditer(text))
    if not blocks:
        return _Finding("not-a-key", detail="it holds no private key")
    # OpenSSL writes "EC PARAMETERS" (and bundles may hold certificates) before the key itself.
    begin = next((b for b in blocks if b.group(1).endswith("PRIVATE KEY")), blocks[0])
    label = begin.group(1)
    if label == "OPENSSH PRIVATE KEY":
        return _openssh_key(text, passphrase)
    if label in ("RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY"):
        return _pem_key(text[begin.start() :], label, passphrase)
    if label == "DSA PRIVATE KEY":
        return _Finding("not-a-key", key_type="ssh-dss", detail=_DSA_ADVICE)
    return _Finding("not-a-key", detail=f"it holds a PEM {label.lower()}, not an SSH private key")


def _ppk(text: str) -> _Finding:
    """A PuTTY key: type, encryption and fingerprint are readable without the passphrase."""
    lines = text.split("\n")
    encryption = None
    blob = None
    for index, line in enumerate(lines):
        name, _, value = line.partition(":")
        value = value.strip()
        if name == "Encryption":
            encryption = value
        elif name == "Public-Lines" and value.isdigit():
            try:
                blob = base64.b64decode("".join(lines[index + 1 : index + 1 + int(value)]), validate=True)
            except (binascii.Error, ValueError):
                blob = None
            break
    key_type = _blob_type(blob) if blob else None
    return _Finding(
        "ppk",
        key_type=key_type or _PPK_HEADER.match(lines[0]).group(1),
        fingerprint=fingerprint(blob) if key_type else None,
        encrypted=None if encryption is None else encryption != "none",
    )


def _public_key(text: str) -> _Finding | None:
    """An OpenSSH public key line (authorized_keys options allowed) or an RFC 4716 public key."""
    if text.startswith(_SSH2_PUBLIC_BEGIN):
        body = []
        continued = False
        for line in text.split("\n")[1:]:
            if line.startswith("---- END"):
                break
            if continued or ":" in line:
                continued = line.endswith("\\")
                continue
            body.append(line.strip())
        blob = _b64("".join(body))
        key_type = _blob_type(blob) if blob else None
        return _Finding("public-key", key_type=key_type, fingerprint=fingerprint(blob) if key_type else None)
    first = next((line for line in text.split("\n") if line.strip() and not line.startswith("#")), "")
    tokens = first.split()
    for kind, data in zip(tokens, tokens[1:], strict=False):
        blob = _b64(data)
        if blob is not None and _blob_type(blob) == kind:
            return _Finding("public-key", key_type=kind, fingerprint=fingerprint(blob))
    return None


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _ssh_string(data: bytes, offset: int) -> tuple[bytes, int]:
    if offset + 4 > len(data):
        raise ValueError("truncated")
    (length,) = struct.unpack(">I", data[offset : offset + 4])
    end = offset + 4 + length
    if end > len(data):
        raise ValueError("truncated")
    return data[offset + 4 : end], end


def _blob_type(blob: bytes) -> str | None:
    """The key type a public key blob starts with, or None when it is not a blob."""
    try:
        kind, _ = _ssh_string(blob, 0)
        text = kind.decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return None
    return text if text and re.fullmatch(r"[a-z0-9@.+-]+", text) else None


def _openssh_key(text: str, passphrase: str | None) -> _Finding:
    """An ``openssh-key-v1`` key: its unencrypted header already names the cipher and public key."""
    body = text.split("-----BEGIN OPENSSH PRIVATE KEY-----", 1)[1].split("-----END", 1)[0]
    data = _b64("".join(body.split()))
    try:
        if data is None or not data.startswith(_OPENSSH_MAGIC):
            raise ValueError("no openssh-key-v1 header")
        cipher, offset = _ssh_string(data, len(_OPENSSH_MAGIC))
        _kdf, offset = _ssh_string(data, offset)
        _kdf_options, offset = _ssh_string(data, offset)
        blob, _ = _ssh_string(data, offset + 4)
        cipher_name = cipher.decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return _Finding("not-a-key", detail="its OpenSSH key data is damaged")
    key_type = _blob_type(blob)
    if key_type is None:
        return _Finding("not-a-key", detail="its OpenSSH key data is damaged")
    known = {"key_type": key_type, "fingerprint": fingerprint(blob), "encrypted": cipher_name != "none"}
    if key_type == "ssh-dss":
        return _Finding("not-a-key", detail=_DSA_ADVICE, **known)
    encrypted = known["encrypted"]
    if encrypted and passphrase is None:
        return _Finding("needs-passphrase", **known)
    paramiko_class = _PARAMIKO_CLASSES.get(key_type)
    paramiko_ciphers = _PARAMIKO_ED25519_CIPHERS if key_type == "ssh-ed25519" else _PARAMIKO_CIPHERS
    if paramiko_class is not None and (not encrypted or cipher_name in paramiko_ciphers):
        return _load_with_paramiko(paramiko_class, text, passphrase if encrypted else None, known)
    if paramiko_class is not None and cipher_name in _CRYPTOGRAPHY_CIPHERS:
        return _load_with_cryptography(text, passphrase, known, openssh=True)
    if not encrypted:
        # Such keys (e.g. FIDO sk-* keys) carry their type and public key in the header; there is
        # no passphrase to check.
        return _Finding("ok", **known)
    return _Finding(
        "ok",
        detail=f"it is encrypted with {cipher_name}, which this tool cannot decrypt, so the passphrase was not checked",
        **known,
    )


def _pem_key(text: str, label: str, passphrase: str | None) -> _Finding:
    """A legacy PEM (RSA/EC) or PKCS#8 private key; its type is known only once it is opened."""
    header = text.split("\n", 3)[:3]
    dek = next((line.split(":", 1)[1].strip() for line in header if line.startswith("DEK-Info:")), "")
    encrypted = label == "ENCRYPTED PRIVATE KEY" or any(line.startswith("Proc-Type: 4,ENCRYPTED") for line in header)
    if encrypted and passphrase is None:
        return _Finding("needs-passphrase", encrypted=True)
    known = {"encrypted": encrypted}
    paramiko_class = {"RSA PRIVATE KEY": paramiko.RSAKey, "EC PRIVATE KEY": paramiko.ECDSAKey}.get(label)
    if paramiko_class is not None and (not encrypted or dek.split(",")[0] in _PARAMIKO_PEM_CIPHERS):
        return _load_with_paramiko(paramiko_class, text, passphrase if encrypted else None, known)
    return _load_with_cryptography(text, passphrase if encrypted else None, known, openssh=False)


def _load_with_paramiko(key_class, text: str, passphrase: str | None, known: dict) -> _Finding:
    try:
        key = key_class.from_private_key(io.StringIO(text), password=passphrase)
    except paramiko.PasswordRequiredException:
        return _Finding("needs-passphrase", **known)
    except (paramiko.SSHException, ValueError, TypeError, IndexError, AssertionError, struct.error):
        # paramiko signals a wrong passphrase with SSHException ("checkints do not match", "Invalid
        # key", "Bad password or corrupt private key file"); on a clear-text key it means damage.
        return _failed(known)
    blob = key.asbytes()
    return _Finding("ok", key_type=_blob_type(blob), fingerprint=fingerprint(blob), encrypted=known["encrypted"])


def _load_with_cryptography(text: str, passphrase: str | None, known: dict, openssh: bool) -> _Finding:
    load = serialization.load_ssh_private_key if openssh else serialization.load_pem_private_key
    secret = passphrase.encode("utf-8") if passphrase is not None else None
    try:
        key = load(text.encode("ascii", "replace"), password=secret)
    except TypeError:
        return _Finding("needs-passphrase", **known)
    except UnsupportedAlgorithm:
        return _Finding("not-a-key", detail="its key type or cipher is not supported", **_public_part(known))
    except (ValueError, InvalidTag):
        return _failed(known)
    if isinstance(key, dsa.DSAPrivateKey):
        return _Finding("not-a-key", key_type="ssh-dss", detail=_DSA_ADVICE, encrypted=known["encrypted"])
    try:
        line = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    except (ValueError, UnsupportedAlgorithm):
        return _Finding("not-a-key", detail="its key type cannot be used by SSH", encrypted=known["encrypted"])
    blob = base64.b64decode(line.split()[1])
    return _Finding("ok", key_type=_blob_type(blob), fingerprint=fingerprint(blob), encrypted=known["encrypted"])


def _failed(known: dict) -> _Finding:
    if known["encrypted"]:
        return _Finding("bad-passphrase", **known)
    return _Finding("not-a-key", detail="its key data is damaged", **_public_part(known))


def _public_part(known: dict) -> dict:
    return {k: known.get(k) for k in ("key_type", "fingerprint", "encrypted")}


def _quote(path: str) -> str:
    return f'"{path}"' if any(c.isspace() for c in path) else path


def _without_suffix(path: str, suffix: str) -> str:
    return path[: -len(suffix)] if path.lower().endswith(suffix) else path


def _message(path: str, finding: _Finding) -> str:
    """One sentence naming the file and, where there is one, the fix; no trailing full stop, so a
    caller can append a clause."""
    name = f"key file {path}"
    status = finding.status
    if status == "ok":
        what = " ".join(p for p in (finding.key_type, finding.fingerprint) if p) or "a private key"
        state = "encrypted, and the passphrase given opens it" if finding.encrypted else "not encrypted"
        if finding.detail:
            state = finding.detail
        return f"{name} is {what}, {state}"
    if status == "missing":
        reason = f" ({finding.detail})" if finding.detail else ""
        return f"{name} does not exist on this machine{reason}; it has to exist where XPipe runs"
    if status == "not-local":
        return (
            f"{name} is a Windows path, which cannot be checked on this machine; it has to exist on the "
            "Windows machine XPipe runs on"
        )
    if status == "unreadable":
        return f"{name} cannot be read ({finding.detail}); make it a readable private key file"
    if status == "public-key":
        lowered = path.lower()
        if lowered.endswith("-cert.pub"):
            private = f" ({_without_suffix(path, '-cert.pub')})"
        elif lowered.endswith(".pub"):
            private = f" ({_without_suffix(path, '.pub')})"
        else:
            private = ""
        return f"{name} is the public half of a key; give the private key file{private} instead"
    if status == "ppk":
        new = _without_suffix(path, ".ppk")
        if new == path:
            new = path + ".openssh"
        return (
            f"{name} is a PuTTY .ppk key, which OpenSSH cannot read: convert it with "
            f"`puttygen {_quote(path)} -O private-openssh -o {_quote(new)}`, or load it into Pageant"
        )
    if status == "needs-passphrase":
        return f"{name} is encrypted and no passphrase is given; XPipe will ask for it when connecting"
    if status == "bad-passphrase":
        return f"the passphrase given for {name} does not open it (or the file is damaged); correct the passphrase"
    return f"{name} is not a usable SSH private key: {finding.detail or 'its format is not supported'}"
