"""Write Tabby configs as Tabby does: ``yaml.dump`` of js-yaml 4.1.0, and the real vault encryption.

``js_yaml_dump`` follows nodeca/js-yaml 4.1.0 ``lib/dumper.js`` for the JSON values a Tabby config
holds (default options: indent 2, lineWidth 80, single quotes, compat mode): block mappings and
sequences (a sequence in a mapping is indented, nested sequences are written ``- - x``), ``{}`` and
``[]`` for empty ones, and ``chooseScalarStyle`` for strings (plain when safe and not another type,
else single-quoted; double-quoted with escapes for non-printable characters; ``|`` literal for
multi-line text and ``>`` folded for a line longer than the width, each with its chomping and
indentation indicators). ``tests/data/README.md`` says how the output was checked against the real
js-yaml. ``encrypt_vault`` is ``encryptVault`` of Eugeny/tabby 14e2d60b9b6d
``tabby-core/src/services/vault.service.ts``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import re

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_DEPRECATED_BOOLEANS = set("y Y yes Yes YES on On ON n N no No NO off Off OFF".split())
_BASE60 = re.compile(r"[-+]?[0-9_]+(?::[0-9_]+)+(?:\.[0-9_]*)?")
_ESCAPES = {
    0x00: "\\0",
    0x07: "\\a",
    0x08: "\\b",
    0x09: "\\t",
    0x0A: "\\n",
    0x0B: "\\v",
    0x0C: "\\f",
    0x0D: "\\r",
    0x1B: "\\e",
    0x22: '\\"',
    0x5C: "\\\\",
    0x85: "\\N",
    0xA0: "\\_",
    0x2028: "\\L",
    0x2029: "\\P",
}


def _printable(c: int) -> bool:
    return (
        0x20 <= c <= 0x7E
        or (0xA1 <= c <= 0xD7FF and c not in (0x2028, 0x2029))
        or (0xE000 <= c <= 0xFFFD and c != 0xFEFF)
        or 0x10000 <= c <= 0x10FFFF
    )


def _ns_or_white(c: int) -> bool:
    return _printable(c) and c != 0xFEFF and c not in (0x0D, 0x0A)


def _plain_safe(c: int, prev: int | None) -> bool:
    ns_white = _ns_or_white(c)
    ns_char = ns_white and c not in (0x20, 0x09)
    prev_ok = prev is not None and _ns_or_white(prev) and prev not in (0x20, 0x09)
    return (
        (ns_white and c != 0x23 and not (prev == 0x3A and not ns_char))
        or (prev_ok and c == 0x23)
        or (prev == 0x3A and ns_char)
    )


def _plain_safe_first(c: int) -> bool:
    return _printable(c) and c != 0xFEFF and c not in (0x20, 0x09) and chr(c) not in "-?:,[]{}#&*!|=>'\"%@`"


def _resolves(text: str) -> bool:
    from migrator.sources.tabby.yaml_js import resolve_js_plain

    return not isinstance(resolve_js_plain(text), str) or text == "<<"


def _fold_line(line: str, width: int) -> str:
    if line == "" or line[0] == " ":
        return line
    start = curr = 0
    result = ""
    for m in re.finditer(r" [^ ]", line):
        nxt = m.start()
        if nxt - start > width:
            end = curr if curr > start else nxt
            result += "\n" + line[start:end]
            start = end + 1
        curr = nxt
    result += "\n"
    if len(line) - start > width and curr > start:
        result += line[start:curr] + "\n" + line[curr + 1 :]
    else:
        result += line[start:]
    return result[1:]


def _fold_string(string: str, width: int) -> str:
    first = string.find("\n")
    first = first if first != -1 else len(string)
    result = _fold_line(string[:first], width)
    prev_more = string[:1] in ("\n", " ")
    for m in re.finditer(r"(\n+)([^\n]*)", string[first:]):
        prefix, line = m.group(1), m.group(2)
        more = line[:1] == " "
        result += prefix + ("\n" if not prev_more and not more and line != "" else "") + _fold_line(line, width)
        prev_more = more
    return result


def _indent_string(string: str, spaces: int) -> str:
    pad = " " * spaces
    return "".join(pad + line if line and line != "\n" else line for line in string.splitlines(keepends=True))


def _block_header(string: str) -> str:
    indicator = "2" if re.match(r"\n* ", string) else ""
    clip = string.endswith("\n")
    keep = clip and (string[-2:-1] == "\n" or string == "\n")
    return indicator + ("+" if keep else "" if clip else "-") + "\n"


def _scalar(string: str, level: int, is_key: bool) -> str:
    if not string:
        return "''"
    if string in _DEPRECATED_BOOLEANS or _BASE60.fullmatch(string):
        return f"'{string}'"
    indent = 2 * max(1, level)
    width = max(min(80, 40), 80 - indent)
    codes = [ord(c) for c in string]
    plain = _plain_safe_first(codes[0]) and codes[-1] not in (0x20, 0x09, 0x3A)
    has_break = foldable = False
    prev = None
    if is_key:
        for c in codes:
            if not _printable(c):
                return '"' + _escape(string) + '"'
            plain = plain and _plain_safe(c, prev)
            prev = c
    else:
        prev_break = -1
        for i, c in enumerate(codes):
            if c == 0x0A:
                has_break = True
                foldable = foldable or (i - prev_break - 1 > width and string[prev_break + 1] != " ")
                prev_break = i
            elif not _printable(c):
                return '"' + _escape(string) + '"'
            plain = plain and _plain_safe(c, prev)
            prev = c
        foldable = foldable or (len(codes) - prev_break - 1 > width and string[prev_break + 1] != " ")
    if not has_break and not foldable:
        if plain and not _resolves(string):
            return string
        return "'" + string.replace("'", "''") + "'"
    if foldable:
        body = _indent_string(_fold_string(string, width), indent)
        return ">" + _block_header(string) + (body[:-1] if body.endswith("\n") else body)
    body = _indent_string(string, indent)
    return "|" + _block_header(string) + (body[:-1] if body.endswith("\n") else body)


def _escape(string: str) -> str:
    out = []
    for ch in string:
        c = ord(ch)
        if c in _ESCAPES:
            out.append(_ESCAPES[c])
        elif _printable(c):
            out.append(ch)
        elif c <= 0xFF:
            out.append(f"\\x{c:02X}")
        elif c <= 0xFFFF:
            out.append(f"\\u{c:04X}")
        else:
            out.append(f"\\U{c:08X}")
    return "".join(out)


def _number(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    if text.endswith(".0"):
        text = text[:-2]
    return text


def _node(value, level: int, block: bool, is_key: bool = False) -> tuple[str, str]:
    """(kind, text) as ``writeNode``."""
    if isinstance(value, dict):
        if not value:
            return "flow", "{}"
        return "map", _mapping(value, level)
    if isinstance(value, list):
        if not value:
            return "flow", "[]"
        return "seq", _sequence(value, level)
    if value is None:
        return "scalar", "null"
    if isinstance(value, (bool, int, float)):
        return "scalar", _number(value)
    return "scalar", _scalar(str(value), level, is_key)


def _mapping(obj: dict, level: int) -> str:
    out = ""
    for i, (key, value) in enumerate(obj.items()):
        pair = "" if i == 0 else "\n" + "  " * level
        _, key_text = _node(str(key), level + 1, True, is_key=True)
        kind, text = _node(value, level + 1, True)
        pair += key_text + ":"
        if kind in ("map", "seq"):
            pair += "\n" + "  " * (level + 1) + text if kind == "map" else "\n" + "  " * (level + 1) + text
        else:
            pair += " " + text
        out += pair
    return out


def _sequence(items: list, level: int) -> str:
    out = ""
    for i, item in enumerate(items):
        kind, text = _node(item, level + 1, True)
        out += ("" if i == 0 else "\n" + "  " * level) + "-" + (" " + text)
    return out


def js_yaml_dump(doc: dict) -> str:
    """``yaml.dump(doc)`` of js-yaml 4.1.0 for JSON values (dict order is the objects' key order)."""
    kind, text = _node(doc, 0, True)
    return text + "\n"


def encrypt_vault(content: dict, passphrase: str, *, salt: bytes | None = None, iv: bytes | None = None) -> dict:
    """``encryptVault``: PBKDF2-SHA512 (100,000, 32 bytes, 8-byte salt), AES-256-CBC, PKCS#7."""
    salt = os.urandom(8) if salt is None else salt
    iv = os.urandom(16) if iv is None else iv
    key = hashlib.pbkdf2_hmac("sha512", passphrase.encode("utf-8"), salt, 100_000, 32)
    plain = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return {
        "version": 1,
        "contents": base64.b64encode(enc.update(padded) + enc.finalize()).decode("ascii"),
        "keySalt": salt.hex(),
        "iv": iv.hex(),
    }


def password_secret(user: str, host: str, port: int, value: str) -> dict:
    return {"type": "ssh:password", "key": {"user": user, "host": host, "port": port}, "value": value}


def passphrase_secret(key_text: bytes, value: str) -> dict:
    digest = hashlib.sha512(key_text.decode("utf-8", "replace").encode("utf-8")).hexdigest()
    return {"type": "ssh:key-passphrase", "key": {"hash": digest}, "value": value}


def ssh_profile(ident: str, name: str, host: str, group: str | None = None, **options) -> dict:
    """A profile as Tabby saves it: defaults (port 22, user root) left out."""
    profile = {"type": "ssh", "name": name, "options": {"host": host, **options}, "id": ident}
    if group:
        profile["group"] = group
    return profile


def config_doc(profiles: list[dict], groups: list[dict] | None = None, **extra) -> dict:
    return {"version": 8, "profiles": profiles, "groups": groups or [], **extra}


def encrypted_config(config: dict, passphrase: str, secrets: list[dict] | None = None) -> dict:
    """The file ``maybeEncryptConfig`` writes: the config inside the vault, only vault/encrypted outside."""
    inner = {k: v for k, v in config.items() if k not in ("vault", "encrypted", "configSync")}
    return {"vault": encrypt_vault({"config": inner, "secrets": secrets or []}, passphrase), "encrypted": True}


SAMPLE_PASSPHRASE = "Tabby-Sample-Vault-9"
SAMPLE_PASSWORDS = {"web-01": "Tabby web pw: 'q' \"d\" %s ü", "db-01": "Db sample pw 42"}


def sample_config() -> dict:
    groups = [
        {"id": "1b0c8f64-0d6a-4f0e-9a0c-3e2f8c1d9a01", "name": "Prod"},
        {
            "id": "7d2e4a90-5b1c-4e7f-8a3d-6c9b0e1f2a02",
            "name": "DB",
            "parentGroupId": "1b0c8f64-0d6a-4f0e-9a0c-3e2f8c1d9a01",
        },
    ]
    prod, db = groups[0]["id"], groups[1]["id"]
    profiles = [
        ssh_profile(
            "ssh:custom:bastion:5f0e2d1c-3b4a-4c5d-8e6f-7a8b9c0d1e01",
            "bastion",
            "bastion.example.net",
            prod,
            user="ops",
            privateKeys=["/home/ops/.ssh/id_ed25519"],
            auth="publicKey",
        ),
        ssh_profile(
            "ssh:custom:web-01:5f0e2d1c-3b4a-4c5d-8e6f-7a8b9c0d1e02",
            "web-01",
            "10.20.0.11",
            prod,
            user="deploy",
            jumpHost="ssh:custom:bastion:5f0e2d1c-3b4a-4c5d-8e6f-7a8b9c0d1e01",
            auth="password",
        ),
        ssh_profile(
            "ssh:custom:db-01:5f0e2d1c-3b4a-4c5d-8e6f-7a8b9c0d1e03",
            "db-01",
            "2001:db8::10",
            db,
            port=2222,
            user="postgres",
            agentForward=True,
        ),
        ssh_profile("ssh:custom:lab:5f0e2d1c-3b4a-4c5d-8e6f-7a8b9c0d1e04", "lab-box", "lab.example.net", auth="agent"),
        {
            "type": "local",
            "name": "zsh",
            "id": "local:custom:zsh:5f0e2d1c-3b4a-4c5d-8e6f-7a8b9c0d1e05",
            "options": {"command": "zsh"},
        },
        {
            "type": "serial",
            "name": "console",
            "id": "serial:custom:console:5f0e2d1c-3b4a-4c5d-8e6f-7a8b9c0d1e06",
            "options": {"port": "/dev/ttyUSB0"},
        },
    ]
    return config_doc(profiles, groups, ssh={"agentType": "auto"})


def sample_secrets() -> list[dict]:
    return [
        password_secret("deploy", "10.20.0.11", 22, SAMPLE_PASSWORDS["web-01"]),
        password_secret("postgres", "2001:db8::10", 2222, SAMPLE_PASSWORDS["db-01"]),
    ]


def write_samples(folder) -> None:
    """``samples/tabby``: ``config.yaml`` (a vault with saved passwords) and ``encrypted-config.yaml``."""
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    salt, iv = bytes(range(8)), bytes(range(16, 32))
    plain = dict(
        sample_config(), vault=encrypt_vault({"secrets": sample_secrets()}, SAMPLE_PASSPHRASE, salt=salt, iv=iv)
    )
    (folder / "config.yaml").write_text(js_yaml_dump(plain), encoding="utf-8")
    inner = {"config": sample_config(), "secrets": sample_secrets()}
    locked = {"vault": encrypt_vault(inner, SAMPLE_PASSPHRASE, salt=salt, iv=iv), "encrypted": True}
    (folder / "encrypted-config.yaml").write_text(js_yaml_dump(locked), encoding="utf-8")
    (folder / "vault-passphrase.txt").write_text(SAMPLE_PASSPHRASE + "\n", encoding="utf-8")
