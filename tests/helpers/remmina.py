"""Write Remmina profiles and remmina.pref the way Remmina does, with its real encryption.

* ``gen_secret``: 32 random bytes, base64 (``remmina_pref_gen_secret``);
* ``encrypt``: ``remmina_crypt_encrypt``: the UTF-8 text zero-padded to the next multiple of 8
  (always at least one NUL), 3DES-CBC with key = secret[0:24], IV = secret[24:32], base64;
* ``keyfile_value``: ``g_key_file_parse_string_as_value`` (``\\s``/``\\t`` for leading blanks,
  ``\\n``, ``\\r``, ``\\\\``), as ``g_key_file_set_string`` writes values;
* ``profile_text``: a ``[remmina]`` group with the settings in the order given.

Sources: FreeRDP/Remmina bb33690d870e ``src/remmina_crypt.c``, ``src/remmina_pref.c``;
GNOME/glib c2237ff1cb00 ``glib/gkeyfile.c``.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, modes

try:
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # older cryptography
    from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES


def gen_secret(raw: bytes | None = None) -> str:
    return base64.b64encode(raw if raw is not None else os.urandom(32)).decode("ascii")


def encrypt(text: str, secret_b64: str) -> str:
    secret = base64.b64decode(secret_b64)
    data = text.encode("utf-8")
    data += b"\0" * (8 - len(data) % 8)
    enc = Cipher(TripleDES(secret[:24]), modes.CBC(secret[24:32])).encryptor()
    return base64.b64encode(enc.update(data) + enc.finalize()).decode("ascii")


def keyfile_value(text: str) -> str:
    out: list[str] = []
    leading = True
    for c in text:
        if c == " " and leading:
            out.append("\\s")
        elif c == "\t" and leading:
            out.append("\\t")
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\\":
            out.append("\\\\")
            leading = False
        else:
            out.append(c)
            if c not in " \t":
                leading = False
    return "".join(out)


def profile_text(settings: dict[str, str], *, group: str = "remmina", escape: bool = True) -> str:
    lines = [f"[{group}]"]
    for key, value in settings.items():
        lines.append(f"{key}={keyfile_value(value) if escape else value}")
    return "\n".join(lines) + "\n"


def pref_text(secret_b64: str | None, extra: dict[str, str] | None = None) -> str:
    settings = {"datadir_path": "", "remmina_file_name": "%G_%P_%N_%h"} | (extra or {})
    if secret_b64 is not None:
        settings["secret"] = secret_b64
    return profile_text(settings, group="remmina_pref")


def ssh_profile(
    name: str,
    server: str,
    *,
    secret: str | None = None,
    password: str | None = None,
    user: str | None = "deploy",
    group: str = "",
    auth: int = 0,
    protocol: str = "SSH",
    **extra: str,
) -> dict[str, str]:
    """A profile's settings as Remmina 1.4 saves an SSH profile (password encrypted when ``secret``)."""
    settings = {
        "name": name,
        "group": group,
        "protocol": protocol,
        "server": server,
        "username": user or "",
        "ssh_auth": str(auth),
        "password": "",
        "ssh_privatekey": "",
        "ssh_passphrase": "",
        "ssh_tunnel_enabled": "0",
        "ssh_tunnel_server": "",
        "ssh_tunnel_username": "",
        "ssh_tunnel_auth": "0",
        "ssh_tunnel_password": "",
        "disablepasswordstoring": "0",
    }
    if password is not None:
        settings["password"] = encrypt(password, secret) if secret is not None else password
    settings.update(extra)
    return settings


def write_profile(folder: Path, file_name: str, settings: dict[str, str], **kw) -> Path:
    path = folder / file_name
    path.write_text(profile_text(settings, **kw), encoding="utf-8")
    return path


def write_pref(folder: Path, secret_b64: str | None, **extra: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "remmina.pref"
    path.write_text(pref_text(secret_b64, extra), encoding="utf-8")
    return path


SAMPLE_SECRET = gen_secret(bytes(range(7, 39)))
SAMPLE_PASSWORDS = {"bastion": "Bastion-Sample-Pw1", "web-01": "Web01 sample pw %s 'q' \"d\" ü"}


def write_samples(folder: Path) -> None:
    """``samples/remmina``: regenerate with ``python -c 'from helpers.remmina import write_samples; ...'``."""
    folder.mkdir(parents=True, exist_ok=True)
    write_pref(folder, SAMPLE_SECRET)
    sec = SAMPLE_SECRET
    files = {
        "prod_ssh_bastion_bastion-example-net.remmina": ssh_profile(
            "bastion", "bastion.example.net", secret=sec, password=SAMPLE_PASSWORDS["bastion"], user="ops", group="Prod"
        ),
        "prod_ssh_web-01_10-20-0-11.remmina": ssh_profile(
            "web-01",
            "10.20.0.11",
            secret=sec,
            password=SAMPLE_PASSWORDS["web-01"],
            group="Prod",
            ssh_tunnel_enabled="1",
            ssh_tunnel_server="bastion.example.net",
            ssh_tunnel_username="ops",
            notes_text="Front%20web%20server",
        ),
        "prod-db_ssh_db-01_-2001-db8--10--2222.remmina": ssh_profile(
            "db-01", "[2001:db8::10]:2222", user="postgres", group="Prod/DB", auth=2, ssh_forward_x11="0"
        ),
        "lab_ssh_lab-box_lab-example-net.remmina": ssh_profile(
            "lab-box", "lab.example.net:2200", user="tester", group="Lab", password=".", ssh_compression="1"
        ),
        "office_rdp_desktop_10-30-0-5.remmina": ssh_profile("desktop", "10.30.0.5", group="Office", protocol="RDP"),
        "lab_sftp_files_files-example-net.remmina": ssh_profile(
            "files", "files.example.net", group="Lab", protocol="SFTP"
        ),
    }
    for name, settings in files.items():
        write_profile(folder, name, settings)
