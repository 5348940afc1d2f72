"""KeyInspector against real key files made by ssh-keygen, paramiko and cryptography in tmp dirs."""

from __future__ import annotations

import base64
import os
import random
import shutil
import subprocess
import textwrap
import warnings
from pathlib import Path

import paramiko
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa
from pydantic import SecretStr

import migrator.mapper.keys as keys
from migrator.mapper.keys import BLOCKING_STATUSES, STATUSES, KeyInfo, KeyInspector

RIGHT = "Correct-Horse-7781"
WRONG = "Battery-Staple-4410"
SSH_KEYGEN = shutil.which("ssh-keygen") or "/usr/bin/ssh-keygen"


def _require_ssh_keygen() -> None:
    if not os.access(SSH_KEYGEN, os.X_OK):
        pytest.fail(f"ssh-keygen is required by these tests and was not found ({SSH_KEYGEN}); install openssh-client")


def keygen(
    directory: Path,
    name: str,
    kind: str,
    passphrase: str = "",
    fmt: str | None = None,
    cipher: str | None = None,
    bits: int | None = None,
) -> Path:
    _require_ssh_keygen()
    path = directory / name
    cmd = [SSH_KEYGEN, "-q", "-t", kind, "-N", passphrase, "-C", "test-key", "-f", str(path)]
    if bits or kind == "rsa":
        cmd += ["-b", str(bits or 2048)]
    if fmt:
        cmd += ["-m", fmt]
    if cipher:
        cmd += ["-Z", cipher]
    subprocess.run(cmd, check=True, capture_output=True, stdin=subprocess.DEVNULL)
    return path


def keygen_fingerprint(public_file: Path) -> str:
    """The SHA256 fingerprint as ``ssh-keygen -lf`` prints it: '<bits> SHA256:... comment (TYPE)'."""
    _require_ssh_keygen()
    out = subprocess.run(
        [SSH_KEYGEN, "-lf", str(public_file)], check=True, capture_output=True, text=True, stdin=subprocess.DEVNULL
    ).stdout
    return out.split()[1]


def assert_no_secret(info: KeyInfo, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in repr(info)
        assert secret not in info.message


# (name, ssh-keygen type, -m format, key type the inspector must report)
KEYGEN_CASES = [
    ("ed25519", "ed25519", None, "ssh-ed25519"),
    ("rsa-openssh", "rsa", None, "ssh-rsa"),
    ("rsa-pem", "rsa", "PEM", "ssh-rsa"),
    ("rsa-pkcs8", "rsa", "PKCS8", "ssh-rsa"),
    ("ecdsa-openssh", "ecdsa", None, "ecdsa-sha2-nistp256"),
    ("ecdsa-pem", "ecdsa", "PEM", "ecdsa-sha2-nistp256"),
]
OPENSSH_CIPHERS = [
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
    "aes128-cbc",
    "aes256-cbc",
    "aes256-gcm@openssh.com",
    "chacha20-poly1305@openssh.com",
]


@pytest.fixture(scope="module")
def keydir(tmp_path_factory) -> Path:
    """Every key these tests need, generated once: <case>.plain and <case>.enc (passphrase RIGHT)."""
    directory = tmp_path_factory.mktemp("keys")
    for name, kind, fmt, _ in KEYGEN_CASES:
        keygen(directory, f"{name}.plain", kind, fmt=fmt)
        keygen(directory, f"{name}.enc", kind, RIGHT, fmt=fmt)
    for cipher in OPENSSH_CIPHERS:
        keygen(directory, f"ed25519-{cipher}", "ed25519", RIGHT, cipher=cipher)
    keygen(directory, "rsa-aes256-gcm", "rsa", RIGHT, cipher="aes256-gcm@openssh.com")
    keygen(directory, "ecdsa384", "ecdsa", bits=384)
    return directory


@pytest.fixture
def inspector() -> KeyInspector:
    return KeyInspector(platform="linux")


# --- real keys: type, fingerprint, encryption, passphrases ---------------------------------------------------


@pytest.mark.parametrize("name,key_type", [(c[0], c[3]) for c in KEYGEN_CASES])
def test_unencrypted_key_is_ok_with_ssh_keygen_fingerprint(keydir, inspector, name, key_type):
    path = keydir / f"{name}.plain"
    info = inspector.inspect(str(path))
    assert info.status == "ok" and info.ok and not info.blocking
    assert info.key_type == key_type
    assert info.fingerprint == keygen_fingerprint(path.with_name(path.name + ".pub"))
    assert info.encrypted is False
    assert info.resolved == str(path)
    assert str(path) in info.message and info.fingerprint in info.message


@pytest.mark.parametrize("name", [c[0] for c in KEYGEN_CASES])
def test_passphrase_given_for_unencrypted_key_is_harmless(keydir, inspector, name):
    info = inspector.inspect(str(keydir / f"{name}.plain"), WRONG)
    assert info.status == "ok"
    assert info.encrypted is False
    assert_no_secret(info, WRONG)


@pytest.mark.parametrize("name,key_type", [(c[0], c[3]) for c in KEYGEN_CASES])
def test_encrypted_key_with_right_passphrase(keydir, inspector, name, key_type):
    path = keydir / f"{name}.enc"
    info = inspector.inspect(str(path), RIGHT)
    assert info.status == "ok"
    assert info.key_type == key_type
    assert info.encrypted is True
    assert info.fingerprint == keygen_fingerprint(path.with_name(path.name + ".pub"))
    assert "passphrase given opens it" in info.message
    assert_no_secret(info, RIGHT)


@pytest.mark.parametrize("name", [c[0] for c in KEYGEN_CASES])
def test_encrypted_key_with_wrong_passphrase_blocks(keydir, inspector, name):
    path = keydir / f"{name}.enc"
    info = inspector.inspect(str(path), WRONG)
    assert info.status == "bad-passphrase"
    assert info.blocking and not info.ok
    assert info.encrypted is True
    assert "does not open" in info.message and str(path) in info.message
    assert_no_secret(info, WRONG, RIGHT)


@pytest.mark.parametrize("name", [c[0] for c in KEYGEN_CASES])
@pytest.mark.parametrize("missing", [None, ""])
def test_encrypted_key_without_passphrase_needs_one(keydir, inspector, name, missing):
    info = inspector.inspect(str(keydir / f"{name}.enc"), missing)
    assert info.status == "needs-passphrase"
    assert not info.blocking
    assert info.encrypted is True
    assert "no passphrase" in info.message


def test_openssh_format_reports_type_and_fingerprint_before_the_passphrase(keydir, inspector):
    """The openssh-key-v1 header holds the public key in clear: known even when the passphrase is wrong."""
    path = keydir / "ed25519.enc"
    expected = keygen_fingerprint(path.with_name(path.name + ".pub"))
    for passphrase in (None, WRONG):
        info = inspector.inspect(str(path), passphrase)
        assert (info.key_type, info.fingerprint) == ("ssh-ed25519", expected)


def test_ecdsa_384(keydir, inspector):
    path = keydir / "ecdsa384"
    info = inspector.inspect(str(path))
    assert (info.status, info.key_type) == ("ok", "ecdsa-sha2-nistp384")
    assert info.fingerprint == keygen_fingerprint(path.with_name("ecdsa384.pub"))


@pytest.mark.parametrize("cipher", [c for c in OPENSSH_CIPHERS if c != "chacha20-poly1305@openssh.com"])
def test_ed25519_key_ciphers_right_and_wrong_passphrase(keydir, inspector, cipher):
    path = keydir / f"ed25519-{cipher}"
    assert inspector.inspect(str(path), RIGHT).status == "ok"
    assert inspector.inspect(str(path), WRONG).status == "bad-passphrase"
    assert inspector.inspect(str(path)).status == "needs-passphrase"


def test_rsa_key_encrypted_with_aes_gcm_goes_through_cryptography(keydir, inspector):
    path = keydir / "rsa-aes256-gcm"
    ok = inspector.inspect(str(path), RIGHT)
    assert (ok.status, ok.key_type) == ("ok", "ssh-rsa")
    assert ok.fingerprint == keygen_fingerprint(path.with_name("rsa-aes256-gcm.pub"))
    assert inspector.inspect(str(path), WRONG).status == "bad-passphrase"


def test_cipher_no_loader_decrypts_is_ok_but_says_the_passphrase_was_not_checked(keydir, inspector):
    path = keydir / "ed25519-chacha20-poly1305@openssh.com"
    for passphrase in (RIGHT, WRONG):
        info = inspector.inspect(str(path), passphrase)
        assert info.status == "ok" and info.encrypted is True
        assert "passphrase was not checked" in info.message and "chacha20-poly1305" in info.message
        assert info.fingerprint == keygen_fingerprint(path.with_name(path.name + ".pub"))
    assert inspector.inspect(str(path)).status == "needs-passphrase"


@pytest.mark.parametrize(
    "key_class,key_type", [(paramiko.RSAKey, "ssh-rsa"), (paramiko.ECDSAKey, "ecdsa-sha2-nistp256")]
)
def test_paramiko_generated_keys(tmp_path, inspector, key_class, key_type):
    key = key_class.generate(2048) if key_class is paramiko.RSAKey else key_class.generate()
    public = tmp_path / "id.pub"
    public.write_text(f"{key.get_name()} {key.get_base64()} made-by-paramiko\n")
    expected = keygen_fingerprint(public)
    key.write_private_key_file(str(tmp_path / "plain"))
    key.write_private_key_file(str(tmp_path / "encrypted"), password=RIGHT)

    plain = inspector.inspect(str(tmp_path / "plain"))
    assert (plain.status, plain.key_type, plain.fingerprint, plain.encrypted) == ("ok", key_type, expected, False)
    right = inspector.inspect(str(tmp_path / "encrypted"), RIGHT)
    assert (right.status, right.key_type, right.fingerprint, right.encrypted) == ("ok", key_type, expected, True)
    assert inspector.inspect(str(tmp_path / "encrypted"), WRONG).status == "bad-passphrase"
    assert inspector.inspect(str(tmp_path / "encrypted")).status == "needs-passphrase"


def test_secret_str_passphrase_is_accepted(keydir, inspector):
    info = inspector.inspect(str(keydir / "ed25519.enc"), SecretStr(RIGHT))
    assert info.status == "ok"


def test_no_passphrase_in_any_result(keydir, inspector):
    results = [
        inspector.inspect(str(keydir / f"{name}.{kind}"), passphrase)
        for name, *_ in KEYGEN_CASES
        for kind in ("plain", "enc")
        for passphrase in (RIGHT, WRONG, None)
    ]
    assert {r.status for r in results} == {"ok", "bad-passphrase", "needs-passphrase"}
    for info in results:
        assert_no_secret(info, RIGHT, WRONG)


# --- files that are not usable private keys ------------------------------------------------------------------


def test_public_key_file_is_rejected_with_the_private_path(keydir, inspector):
    path = keydir / "ed25519.plain.pub"
    info = inspector.inspect(str(path))
    assert info.status == "public-key" and info.blocking
    assert info.key_type == "ssh-ed25519"
    assert info.fingerprint == keygen_fingerprint(path)
    assert "public half" in info.message
    assert f"({keydir / 'ed25519.plain'})" in info.message


def test_public_key_content_under_a_private_looking_name(keydir, tmp_path, inspector):
    disguised = tmp_path / "id_work"
    disguised.write_text((keydir / "rsa-openssh.plain.pub").read_text())
    info = inspector.inspect(str(disguised))
    assert info.status == "public-key" and info.blocking
    assert info.key_type == "ssh-rsa"
    assert "public half" in info.message and ".pub" not in info.message


def test_authorized_keys_line_with_options_is_a_public_key(keydir, tmp_path, inspector):
    line = (keydir / "ed25519.plain.pub").read_text()
    path = tmp_path / "authorized"
    path.write_text(f'# keys for deploy\nrestrict,from="10.0.0.0/8" {line}')
    info = inspector.inspect(str(path))
    assert (info.status, info.key_type) == ("public-key", "ssh-ed25519")


def test_rfc4716_public_key_is_a_public_key(keydir, tmp_path, inspector):
    public = keydir / "rsa-openssh.plain.pub"
    exported = subprocess.run(
        [SSH_KEYGEN, "-e", "-f", str(public)], check=True, capture_output=True, text=True, stdin=subprocess.DEVNULL
    ).stdout
    assert exported.startswith("---- BEGIN SSH2 PUBLIC KEY ----")
    path = tmp_path / "exported_key"
    path.write_text(exported)
    info = inspector.inspect(str(path))
    assert info.status == "public-key"
    assert info.fingerprint == keygen_fingerprint(public)


def test_certificate_is_a_public_key(keydir, tmp_path, inspector):
    shutil.copy(keydir / "ed25519.plain", tmp_path / "id")
    shutil.copy(keydir / "ed25519.plain.pub", tmp_path / "id.pub")
    keygen(tmp_path, "ca", "ed25519")
    subprocess.run(
        [SSH_KEYGEN, "-q", "-s", str(tmp_path / "ca"), "-I", "test", "-n", "deploy", str(tmp_path / "id.pub")],
        check=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
    )
    info = inspector.inspect(str(tmp_path / "id-cert.pub"))
    assert info.status == "public-key"
    assert info.key_type == "ssh-ed25519-cert-v01@openssh.com"
    assert f"({tmp_path / 'id'})" in info.message


def _ppk_text(public_line: str, version: int, encrypted: bool) -> str:
    """The PuTTY-User-Key-File text layout (public part real, private part and MAC placeholders)."""
    kind, blob = public_line.split()[:2]
    public = textwrap.wrap(blob, 64)
    private = textwrap.wrap(base64.b64encode(bytes(48)).decode(), 64)
    lines = [
        f"PuTTY-User-Key-File-{version}: {kind}",
        f"Encryption: {'aes256-cbc' if encrypted else 'none'}",
        "Comment: imported-key",
        f"Public-Lines: {len(public)}",
        *public,
    ]
    if encrypted and version == 3:
        lines += [
            "Key-Derivation: Argon2id",
            "Argon2-Memory: 8192",
            "Argon2-Passes: 13",
            "Argon2-Parallelism: 1",
            "Argon2-Salt: " + "ab" * 16,
        ]
    lines += [f"Private-Lines: {len(private)}", *private, "Private-MAC: " + "0" * 64]
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize("version", [2, 3])
@pytest.mark.parametrize("encrypted", [False, True])
def test_ppk_is_reported_with_the_fix(keydir, tmp_path, inspector, version, encrypted):
    public = keydir / "ed25519.plain.pub"
    path = tmp_path / "Work Key.ppk"
    path.write_text(_ppk_text(public.read_text(), version, encrypted), newline="")
    info = inspector.inspect(str(path), RIGHT if encrypted else None)
    assert info.status == "ppk" and not info.blocking and not info.ok
    assert info.key_type == "ssh-ed25519"
    assert info.fingerprint == keygen_fingerprint(public)
    assert info.encrypted is encrypted
    assert f'`puttygen "{path}" -O private-openssh -o "{tmp_path / "Work Key"}"`' in info.message
    assert "Pageant" in info.message
    assert_no_secret(info, RIGHT)


def test_ppk_content_under_another_name_and_ppk_name_without_ppk_content(keydir, tmp_path, inspector):
    content = tmp_path / "putty_key"
    content.write_text(_ppk_text((keydir / "rsa-openssh.plain.pub").read_text(), 3, False))
    assert inspector.inspect(str(content)).status == "ppk"
    named = tmp_path / "old.ppk"
    named.write_bytes(b"\x00\x01 not really a key")
    assert inspector.inspect(str(named)).status == "ppk"
    assert inspector.inspect(str(tmp_path / "absent.ppk")).status == "ppk"


@pytest.mark.parametrize(
    "content,detail",
    [
        (random.Random(5).randbytes(700), "binary data"),
        (b"", "no private key"),
        (b"just some notes about the server\n", "no private key"),
        (b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "certificate"),
    ],
)
def test_garbage_is_not_a_key(tmp_path, inspector, content, detail):
    path = tmp_path / "id_rsa"
    path.write_bytes(content)
    info = inspector.inspect(str(path))
    assert info.status == "not-a-key" and info.blocking
    assert detail in info.message and str(path) in info.message


def test_damaged_keys_are_not_keys(keydir, tmp_path, inspector):
    for name in ("ed25519.plain", "rsa-pem.plain"):
        lines = (keydir / name).read_text().splitlines()
        damaged = tmp_path / name
        damaged.write_text("\n".join(lines[:1] + lines[3:]) + "\n")
        info = inspector.inspect(str(damaged))
        assert info.status == "not-a-key", name
        assert "damaged" in info.message


def test_damaged_encrypted_key_reads_as_bad_passphrase(keydir, tmp_path, inspector):
    """A damaged encrypted body and a wrong passphrase look the same; the message names both."""
    lines = (keydir / "rsa-pem.enc").read_text().splitlines()
    middle = len(lines) // 2
    lines[middle] = lines[middle][::-1]
    damaged = tmp_path / "damaged"
    damaged.write_text("\n".join(lines) + "\n")
    info = inspector.inspect(str(damaged), RIGHT)
    assert info.status == "bad-passphrase"
    assert "damaged" in info.message


@pytest.mark.parametrize(
    "private_format", [serialization.PrivateFormat.OpenSSH, serialization.PrivateFormat.TraditionalOpenSSL]
)
def test_dsa_key_is_rejected_with_advice(tmp_path, inspector, private_format):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        key = dsa.generate_private_key(key_size=1024)
        pem = key.private_bytes(serialization.Encoding.PEM, private_format, serialization.NoEncryption())
    path = tmp_path / "id_dsa"
    path.write_bytes(pem)
    info = inspector.inspect(str(path))
    assert info.status == "not-a-key" and info.blocking
    assert info.key_type == "ssh-dss"
    assert "DSA" in info.message and "ed25519" in info.message


def test_too_large_file_is_not_read(tmp_path, inspector):
    path = tmp_path / "backup.tar"
    path.write_bytes(b"A" * (keys.MAX_KEY_FILE_BYTES + 1))
    info = inspector.inspect(str(path))
    assert info.status == "not-a-key"
    assert "larger" in info.message


# --- locating the file -------------------------------------------------------------------------------------


def test_missing_file(tmp_path, inspector):
    path = tmp_path / "nowhere" / "id_ed25519"
    info = inspector.inspect(str(path))
    assert (info.status, info.resolved) == ("missing", str(path))
    assert not info.blocking
    assert str(path) in info.message and "does not exist" in info.message


def test_missing_pub_file_is_still_the_public_half(tmp_path, inspector):
    assert inspector.inspect(str(tmp_path / "id_rsa.pub")).status == "public-key"


def test_path_through_a_file_is_missing(keydir, inspector):
    assert inspector.inspect(str(keydir / "ed25519.plain" / "id")).status == "missing"


def test_directory_is_unreadable(tmp_path, inspector):
    info = inspector.inspect(str(tmp_path))
    assert info.status == "unreadable" and info.blocking
    assert "directory" in info.message


def test_device_is_unreadable(inspector):
    info = inspector.inspect(os.devnull)
    assert info.status == "unreadable"
    assert "not a regular file" in info.message


def test_file_without_read_permission(keydir, tmp_path, inspector):
    path = tmp_path / "id_ed25519"
    shutil.copy(keydir / "ed25519.plain", path)
    path.chmod(0)
    try:
        info = inspector.inspect(str(path))
    finally:
        path.chmod(0o600)
    if os.geteuid() == 0:
        # root reads a mode-000 file, and so would an SSH client running as root.
        assert info.status == "ok"
    else:
        assert info.status == "unreadable" and info.blocking
        assert "permission denied" in info.message


def test_tilde_expands_to_the_given_home(keydir, tmp_path):
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    shutil.copy(keydir / "ed25519.plain", home / ".ssh" / "id_ed25519")
    inspector = KeyInspector(home=home, platform="linux")
    info = inspector.inspect("~/.ssh/id_ed25519")
    assert info.status == "ok"
    assert info.path == "~/.ssh/id_ed25519"
    assert info.resolved == str(home / ".ssh" / "id_ed25519")
    assert "~/.ssh/id_ed25519" in info.message
    assert inspector.inspect("~").status == "unreadable"


def test_unknown_user_home_is_missing(inspector):
    info = inspector.inspect("~no-such-user-4471/.ssh/id_rsa")
    assert (info.status, info.resolved) == ("missing", None)
    assert "not known" in info.message


def test_relative_path_resolves_against_the_current_directory(keydir, tmp_path, inspector, monkeypatch):
    (tmp_path / "keys").mkdir()
    shutil.copy(keydir / "rsa-openssh.plain", tmp_path / "keys" / "id_rsa")
    monkeypatch.chdir(tmp_path)
    info = inspector.inspect("keys/id_rsa")
    assert (info.status, info.resolved) == ("ok", str(tmp_path / "keys" / "id_rsa"))


@pytest.mark.parametrize(
    "path",
    [
        r"C:\Keys\id_rsa",
        "C:/Users/ops/.ssh/id_rsa",
        r"\\server\share\keys\id",
        r"%USERPROFILE%\.ssh\id_ed25519",
        "%USERPROFILE%/.ssh/id_ed25519",
        r".ssh\id_rsa",
    ],
)
def test_windows_paths_are_not_local_on_linux(inspector, path):
    info = inspector.inspect(path)
    assert (info.status, info.resolved) == ("not-local", None)
    assert not info.blocking
    assert path in info.message and "Windows" in info.message


def test_windows_paths_still_show_ppk_and_pub_by_name(inspector):
    assert inspector.inspect(r"C:\Keys\work.ppk").status == "ppk"
    pub = inspector.inspect(r"C:\Keys\id_rsa.pub")
    assert pub.status == "public-key" and pub.blocking
    assert r"(C:\Keys\id_rsa)" in pub.message


def test_userprofile_expands_to_home_on_windows(keydir, tmp_path):
    home = tmp_path / "profile"
    (home / ".ssh").mkdir(parents=True)
    shutil.copy(keydir / "ecdsa-openssh.plain", home / ".ssh" / "id_ecdsa")
    info = KeyInspector(home=home, platform="win32").inspect("%USERPROFILE%/.ssh/id_ecdsa")
    assert (info.status, info.resolved) == ("ok", str(home / ".ssh" / "id_ecdsa"))


def test_empty_path_is_missing(inspector):
    info = inspector.inspect("  ")
    assert (info.status, info.resolved) == ("missing", None)


# --- cache -------------------------------------------------------------------------------------------------


def test_three_hundred_hosts_sharing_a_key_cost_one_parse(keydir, tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    shutil.copy(keydir / "ed25519.enc", home / ".ssh" / "id_ed25519")
    analyses = []
    real_analyse = keys._analyse_file
    monkeypatch.setattr(keys, "_analyse_file", lambda *a: analyses.append(a[0]) or real_analyse(*a))
    parses = []
    real_parse = paramiko.Ed25519Key.from_private_key.__func__
    monkeypatch.setattr(
        paramiko.Ed25519Key,
        "from_private_key",
        classmethod(lambda cls, *a, **k: parses.append(1) or real_parse(cls, *a, **k)),
    )
    monkeypatch.chdir(home)
    inspector = KeyInspector(home=home, platform="linux")
    spellings = ["~/.ssh/id_ed25519", str(home / ".ssh" / "id_ed25519"), ".ssh/id_ed25519", ".ssh/../.ssh/id_ed25519"]

    results = [inspector.inspect(spellings[n % len(spellings)], RIGHT) for n in range(300)]

    assert {r.status for r in results} == {"ok"}
    assert (len(analyses), len(parses)) == (1, 1)
    assert {r.path for r in results} == set(spellings)
    assert all(r.path in r.message for r in results)
    inspector.inspect("~/.ssh/id_ed25519", WRONG)
    inspector.inspect("~/.ssh/id_ed25519")
    assert len(analyses) == 3
    assert RIGHT not in repr(inspector._cache) and WRONG not in repr(inspector._cache)


def test_instances_do_not_share_results(keydir, tmp_path):
    path = tmp_path / "id"
    shutil.copy(keydir / "ed25519.plain", path)
    first = KeyInspector(platform="linux")
    assert first.inspect(str(path)).status == "ok"
    path.write_text("replaced by something else\n")
    assert first.inspect(str(path)).status == "ok"
    assert KeyInspector(platform="linux").inspect(str(path)).status == "not-a-key"


# --- KeyInfo contract ----------------------------------------------------------------------------------------


def test_blocking_statuses():
    assert BLOCKING_STATUSES == {"unreadable", "public-key", "bad-passphrase", "not-a-key"}
    for status in STATUSES:
        info = KeyInfo(path="k", resolved=None, status=status)
        assert info.blocking is (status in BLOCKING_STATUSES)
        assert info.ok is (status == "ok")
    with pytest.raises(AttributeError):
        info.status = "ok"
