"""Writes Ásbrú/PAC Manager files the way the Perl programs do, for the asbru tests.

``yaml_pm_dump`` follows YAML.pm 1.30's ``YAML::Dumper`` (``_emit_str``, ``is_valid_plain``,
``_emit_block``, ``escape``): sorted keys, two-space indents, plain / single / double / ``|`` block
scalars, ``~`` for undef, ``&1``/``*1`` for a shared reference (``Shared``), ``!!perl/hash:Class`` for a
blessed hash (``Blessed``). tests/data/asbru/yamlpm_dump.yml (written by the real module) must come
out byte for byte. ``encrypt_hex`` is Crypt::CBC's: ``Salted__`` + salt, key and IV from MD5
``EVP_BytesToKey`` (56 + 8 bytes), Blowfish-CBC, PKCS#5 padding.
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
import uuid as uuidlib
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers import Cipher, modes

try:
    from cryptography.hazmat.decrepit.ciphers.algorithms import Blowfish
except ImportError:  # older cryptography
    from cryptography.hazmat.primitives.ciphers.algorithms import Blowfish

PASSPHRASE = b"PAC Manager (David Torrejon Vaquerizas, david.tv@gmail.com)"
SALT_64 = struct.pack("<Q", 12345678)  # Ásbrú 6.4: pack('Q', '12345678') on x86-64
SALT_LEGACY = b"12345678"  # PAC Manager and Ásbrú up to 6.3.3


def encrypt_hex(plain: str, salt: bytes | None = SALT_64) -> str:
    """``$CIPHER->encrypt_hex(encode('UTF-8', $plain))``; ``salt=None`` draws a random one (``-salt => 1``)."""
    salt = os.urandom(8) if salt is None else salt
    material, block = b"", b""
    while len(material) < 64:
        block = hashlib.md5(block + PASSPHRASE + salt).digest()
        material += block
    data = plain.encode("utf-8")
    pad = 8 - len(data) % 8
    enc = Cipher(Blowfish(material[:56]), modes.CBC(material[56:64])).encryptor()
    return (b"Salted__" + salt + enc.update(data + bytes([pad]) * pad) + enc.finalize()).hex()


# ---- YAML.pm's emitter ----------------------------------------------------------------------------


@dataclass
class Shared:
    """One Perl reference that appears in several places: ``&N`` the first time, ``*N`` after."""

    value: object
    anchor: int | None = None


@dataclass
class Blessed:
    value: dict
    cls: str


_ESCAPE_CHAR = re.compile(r"[\x00-\x08\x0b-\x0d\x0e-\x1f]")
_ESCAPES = (
    "\\0 \\x01 \\x02 \\x03 \\x04 \\x05 \\x06 \\a \\x08 \\t \\n \\v \\f \\r \\x0e \\x0f "
    "\\x10 \\x11 \\x12 \\x13 \\x14 \\x15 \\x16 \\x17 \\x18 \\x19 \\x1a \\e \\x1c \\x1d \\x1e \\x1f"
).split()


def _valid_plain(s: str) -> bool:
    if not s:
        return False
    if re.match(r"[\s{\[~`'\"!@#>|%&?*^]", s):
        return False
    if re.search(r"[{\[\]},]", s) or re.search(r"[:\-?]\s", s) or re.search(r"\s#", s):
        return False
    if re.search(r":(\s|$)", s) or re.search(r"[\s|>]$", s) or s in ("-", "="):
        return False
    return True


def _double(s: str) -> str:
    s = s.replace("\\", "\\\\")
    s = re.sub(r"[\x00-\x1f]", lambda m: _ESCAPES[ord(m.group(0))], s)
    return '"' + s.replace('"', '\\"') + '"'


def _scalar(s, indent: int) -> tuple[str, list[str]]:
    """The text after ``key:``/``-`` (with its leading space) and, for a block, its lines."""
    if s is None:
        return " ~", []
    s = str(s)
    if _ESCAPE_CHAR.search(s):
        return " " + _double(s), []
    if "\n" in s:
        if len(s) <= 30 or not re.search(r"\n\s*\S", s):
            return " " + _double(s), []
        trailing = len(s) - len(s.rstrip("\n"))
        chomp = "-" if trailing == 0 else ("+" if trailing > 1 else "")
        header = " |" + chomp + ("2" if s[:1].isspace() else "")
        body = s[:-1] if s.endswith("\n") else s
        pad = " " * indent
        lines = [pad + line for line in body.split("\n")]
        if body.endswith("\n"):
            lines[-1] = ""  # Perl's s/^/$indent/gm does not match after the last newline
        return header, lines
    if _valid_plain(s):
        return " " + s, []
    if "'" in s:
        return " " + _double(s), []
    return " '" + s.replace("'", "''") + "'", []


def _key(k) -> str:
    text, _ = _scalar(k, 0)
    return text[1:]


class _Dumper:
    def __init__(self):
        self.anchors = 0
        self.lines: list[str] = []

    def node(self, prefix: str, value, indent: int) -> None:
        """``prefix`` is ``'  key:'`` or ``'  -'``; ``indent`` the indent of what goes under it."""
        tag = ""
        if isinstance(value, Shared):
            if value.anchor is not None:
                self.lines.append(f"{prefix} *{value.anchor}")
                return
            self.anchors += 1
            value.anchor = self.anchors
            tag = f" &{value.anchor}"
            value = value.value
        if isinstance(value, Blessed):
            tag += f" !!perl/hash:{value.cls}"
            value = value.value
        if isinstance(value, dict):
            if not value:
                self.lines.append(f"{prefix}{tag} {{}}")
            elif prefix.endswith("-") and not tag:
                start = len(self.lines)
                self.mapping(value, indent)
                self.lines[start] = prefix + " " + self.lines[start].lstrip(" ")
            else:
                self.lines.append(prefix + tag)
                self.mapping(value, indent)
        elif isinstance(value, list):
            if not value:
                self.lines.append(f"{prefix}{tag} []")
            else:
                self.lines.append(prefix + tag)
                self.sequence(value, indent)
        else:
            head, block = _scalar(value, indent)
            self.lines.append(prefix + tag + head)
            self.lines.extend(block)

    def mapping(self, d: dict, indent: int) -> None:
        for k in sorted(d, key=str):
            self.node(" " * indent + _key(k) + ":", d[k], indent + 2)

    def sequence(self, items: list, indent: int) -> None:
        for item in items:
            self.node(" " * indent + "-", item, indent + 2)


def yaml_pm_dump(data) -> str:
    """``YAML::Dump($data)`` of a hash, as YAML.pm 1.30 writes it."""
    d = _Dumper()
    d.lines.append("---")
    d.mapping(data, 0)
    return "\n".join(d.lines) + "\n"


# ---- Ásbrú configurations ------------------------------------------------------------------------


def new_uuid() -> str:
    return str(uuidlib.uuid4())


@dataclass
class AsbruFile:
    """An Ásbrú configuration under construction: groups and connections, then ``dump``."""

    salt: bytes | None = SALT_64
    environments: dict = field(default_factory=dict)
    defaults: dict = field(default_factory=lambda: {"version": "6.4.0", "proxy": "", "global variables": {}})

    def __post_init__(self):
        self.environments["__PAC__ROOT__"] = {"_is_group": 1, "name": "My Connections", "children": {}}

    def group(self, name: str, parent: str = "__PAC__ROOT__", uuid: str | None = None) -> str:
        uuid = uuid or new_uuid()
        self.environments[uuid] = {
            "_is_group": 1,
            "_protected": 0,
            "name": name,
            "parent": parent,
            "description": None,
            "children": {},
            "screenshots": [],
        }
        self.environments[parent]["children"][uuid] = 1
        return uuid

    def connection(self, name: str, parent: str = "__PAC__ROOT__", uuid: str | None = None, **fields) -> str:
        """A connection with the fields ``_cfgSanityCheck`` fills in; ``pass``/``passphrase`` given in clear."""
        uuid = uuid or new_uuid()
        env = {
            "name": name,
            "parent": parent,
            "_protected": 0,
            "description": f"Connection with '{name}'",
            "title": name,
            "method": "SSH",
            "ip": "",
            "port": 22,
            "user": "",
            "pass": "",
            "auth type": "userpass",
            "auth fallback": 1,
            "public key": "",
            "passphrase user": "",
            "passphrase": "",
            "options": " -x",
            "use proxy": 0,
            "proxy ip": "",
            "proxy port": 8080,
            "proxy user": "",
            "proxy pass": "",
            "jump ip": "",
            "jump port": 22,
            "jump user": "",
            "jump pass": "",
            "jump key": "",
            "expect": [],
            "variables": [],
            "local before": [],
            "local connected": [],
            "local after": [],
            "macros": [],
            "screenshots": [],
            "terminal options": {"use personal settings": "", "terminal font": "Monospace 9"},
            "KPX title regexp": f".*{name}.*",
        }
        env.update(fields)
        self.environments[uuid] = env
        if parent is not None:
            self.environments[parent]["children"][uuid] = 1
        return uuid

    def global_variable(self, name: str, value: str, hidden: bool = False) -> None:
        self.defaults["global variables"][name] = {"value": value, "hidden": "1" if hidden else "0"}

    def _ciphered(self, cipher: bool = True) -> dict:
        envs = {}
        for uuid, env in self.environments.items():
            env = dict(env)
            if cipher and not env.get("_is_group"):
                env["pass"] = encrypt_hex(env["pass"], self.salt)
                env["passphrase"] = encrypt_hex(env["passphrase"], self.salt)
            envs[uuid] = env
        return envs

    def full(self) -> str:
        """``asbru.yml``: ``_exporter('yaml')`` after ``_cipherCFG``."""
        defaults = dict(self.defaults)
        gvs = {}
        for name, gv in defaults["global variables"].items():
            hidden = gv["hidden"] == "1"
            gvs[name] = {
                "hidden": gv["hidden"],
                "value": encrypt_hex(gv["value"], self.salt) if hidden else gv["value"],
            }
        defaults["global variables"] = gvs
        defaults.setdefault("keepass", {"database": "", "password": encrypt_hex("", self.salt), "use_keepass": 0})
        defaults.setdefault("sudo password", encrypt_hex("<<ASK_PASS>>", self.salt))
        return yaml_pm_dump({"__PAC__EXPORTED__FULL__": 1, "defaults": defaults, "environments": self._ciphered()})

    def export(self, uuids: list[str], cipher: bool = True) -> str:
        """``__exportNodes`` of the connections/groups ``uuids``: new UUIDs, `` - copy`` names, optional cipher."""
        envs = self._ciphered(cipher)
        out: dict = {"__PAC__EXPORTED__": {"children": {}}}

        def dup(parent: str, uuid: str) -> None:
            new = new_uuid()
            env = dict(envs[uuid])
            env["original_parent"] = env.get("parent")
            env["parent"] = parent
            env["name"] = f"{env['name']} - copy"
            env["cluster"] = []
            env["_protected"] = 0
            env["screenshots"] = []
            if env.get("_is_group"):
                env["children"] = {}
            out[new] = env
            out[parent]["children"][new] = 1
            for child in envs[uuid].get("children", {}) if envs[uuid].get("_is_group") else []:
                dup(new, child)

        for uuid in uuids:
            dup("__PAC__EXPORTED__", uuid)
        return yaml_pm_dump(out)


def sample_file() -> AsbruFile:
    """The configuration of samples/asbru/ (fixed UUIDs; passwords listed in samples/asbru/README.md)."""
    f = AsbruFile()
    u = "5a1e0000-0000-4000-8000-{:012d}".format
    prod = f.group("Production", uuid=u(1))
    web = f.group("Web", parent=prod, uuid=u(2))
    f.connection("bastion", prod, uuid=u(10), ip="bastion.example.com", user="jump", **{"pass": "Bastion-Sample-1"})
    f.connection(
        "web01",
        web,
        uuid=u(11),
        ip="10.20.0.11",
        user="deploy",
        options=' -x -C -o "ForwardAgent=yes"',
        **{"pass": "Web01 Sample pässword", "use proxy": 3, "jump ip": "bastion.example.com", "jump user": "jump"},
    )
    f.connection(
        "db01",
        prod,
        uuid=u(12),
        ip="<GV:db_host>",
        port=2222,
        **{"auth type": "publickey", "public key": "~/.ssh/id_ed25519", "passphrase user": "postgres"},
        passphrase="Db01-Key-Passphrase",
    )
    f.connection("desktop", uuid=u(13), method="RDP (xfreerdp)", ip="desk.example.com", user="me")
    f.global_variable("db_host", "db01.example.com")
    return f
