"""Writing mRemoteNG ``confCons.xml`` files for tests, the way each mRemoteNG version writes them.

Its own implementation of both encryption schemes (not the reader's), with random salts, nonces and
IVs, so a reader bug cannot hide behind a writer that shares it:

- AEAD (2.6+): base64(salt 16 | nonce 16 (GCM) or 11 (CCM) | ciphertext | tag 16), AAD = salt, key =
  PBKDF2-HMAC-SHA1(master as Latin-1, salt, KdfIterations, 32) [mRemoteNG AeadCryptographyProvider.cs];
- legacy (2.5 and the whole-file blob): base64(IV 16 | AES-CBC PKCS#7), key = MD5(UTF-8 master).

Version styles follow the serializers [mRemoteNG XmlConnectionNodeSerializer26/27/28.cs,
XmlRootNodeSerializer.cs] and the 2016 fixtures: 2.5 unprefixed root, ``True``/``False`` and every
``Inherit*`` written; 2.6 either root form, every ``Inherit*``; 2.7/2.8 the ``mrng:`` root, lower-case
booleans, only ``Inherit*="true"``. A node that inherits its password is written with ``Password=""``.
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM

DEFAULT_MASTER = "mR3m"
AUTO = object()

#: Every Inherit* attribute mRemoteNG 1.75/1.76 writes (2.5/2.6 files write all of them).
ALL_INHERIT = tuple(
    "CacheBitmaps Colors Description DisplayThemes DisplayWallpaper EnableFontSmoothing EnableDesktopComposition "
    "Domain Icon Panel Password Port Protocol PuttySession RedirectDiskDrives RedirectKeys RedirectPorts "
    "RedirectPrinters RedirectSmartCards RedirectSound SoundQuality Resolution AutomaticResize UseConsoleSession "
    "UseCredSsp RenderingEngine Username ICAEncryptionStrength RDPAuthenticationLevel LoadBalanceInfo PreExtApp "
    "PostExtApp MacAddress UserField ExtApp VNCCompression VNCEncoding VNCAuthMode VNCProxyType VNCProxyIP "
    "VNCProxyPort VNCProxyUsername VNCProxyPassword VNCColors VNCSmartSizeMode VNCViewOnly RDGatewayUsageMethod "
    "RDGatewayHostname RDGatewayUseConnectionCredentials RDGatewayUsername RDGatewayPassword RDGatewayDomain".split()
)
INHERIT_27 = ("SSHTunnelConnectionName", "SSHOptions", "OpeningCommand", "ExternalCredentialProvider", "UserViaAPI")


# ---- the two schemes, written independently of migrator.sources.mremoteng.crypto -----------------


def aead_encrypt(plain: str, master: str, iterations: int, mode: str = "GCM") -> str:
    if not plain:
        return ""
    salt = os.urandom(16)
    nonce = os.urandom(16 if mode == "GCM" else 11)
    key = hashlib.pbkdf2_hmac("sha1", master.encode("latin-1"), salt, iterations, 32)
    aead = AESGCM(key) if mode == "GCM" else AESCCM(key, tag_length=16)
    return base64.b64encode(salt + nonce + aead.encrypt(nonce, plain.encode("utf-8"), salt)).decode()


def cbc_encrypt(plain: str, master: str) -> str:
    if not plain:
        return ""
    key = hashlib.md5(master.encode("utf-8")).digest()
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    data = padder.update(plain.encode("utf-8")) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return base64.b64encode(iv + enc.update(data) + enc.finalize()).decode()


# ---- the tree ---------------------------------------------------------------------------------------


@dataclass
class Node:
    """A connection (default) or a folder (``container=True``); values as the user set them.

    ``inherit`` names the properties with ``Inherit<P>="true"``; ``extra`` adds or overrides raw
    attributes (written last, as given); ``omit`` leaves attributes out.
    """

    name: str
    hostname: str = ""
    protocol: str = "SSH2"
    port: int | str = 22
    username: str = ""
    password: str = ""
    domain: str = ""
    descr: str = ""
    putty_session: str = "Default Settings"
    ssh_options: str = ""
    tunnel: str = ""
    opening_command: str = ""
    container: bool = False
    id: object = AUTO
    inherit: set[str] = field(default_factory=set)
    children: list[Node] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)
    omit: set[str] = field(default_factory=set)
    raw_password: str | None = None


def folder(name: str, *children: Node, **kw) -> Node:
    kw.setdefault("protocol", "SSH2")
    kw.setdefault("port", 22)
    return Node(name, container=True, children=list(children), **kw)


def escape(value: str) -> str:
    """XmlWriter's attribute escaping: &, <, >, quotes, and line breaks and tabs as character references."""
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\r", "&#xD;")
        .replace("\n", "&#xA;")
        .replace("\t", "&#x9;")
    )


@dataclass
class Style:
    version: str = "2.8"
    master: str | None = None  # None: the default mR3m, "ThisIsNotProtected"
    kdf: int = 10000
    mode: str = "GCM"
    engine: str = "AES"
    prefixed: bool | None = None  # None: by version (2.5/2.6 unprefixed, 2.7+ prefixed)
    title_booleans: bool | None = None  # None: by version (True/False up to 2.5)
    ids: bool = True
    full_file: bool = False  # 2.6+: the root text is one AEAD value holding the nodes
    legacy_full_file: bool = False  # the whole file is one CBC blob
    newline: str = "\r\n"
    root_name: str = "Connections"
    root_extra: dict[str, str] = field(default_factory=dict)

    @property
    def number(self) -> float:
        return float(self.version.replace(",", "."))

    @property
    def legacy(self) -> bool:
        return self.number < 2.6

    def boolean(self, value: bool) -> str:
        title = self.legacy if self.title_booleans is None else self.title_booleans
        text = str(bool(value))
        return text if title else text.lower()

    def encrypt(self, plain: str) -> str:
        master = self.master or DEFAULT_MASTER
        return cbc_encrypt(plain, master) if self.legacy else aead_encrypt(plain, master, self.kdf, self.mode)


def _attributes(node: Node, style: Style) -> list[tuple[str, str]]:
    b = style.boolean
    password = node.raw_password
    if password is None:
        password = "" if "Password" in node.inherit else style.encrypt(node.password)
    attrs = [("Name", node.name), ("Type", "Container" if node.container else "Connection")]
    if node.container:
        attrs.append(("Expanded", b(True)))
    attrs += [("Descr", node.descr), ("Icon", "mRemoteNG"), ("Panel", "General")]
    if style.ids and node.id is not None:
        attrs.append(("Id", str(uuid.uuid4()) if node.id is AUTO else str(node.id)))
    attrs += [
        ("Username", node.username),
        ("Domain", node.domain),
        ("Password", password),
        ("Hostname", node.hostname),
        ("Protocol", node.protocol),
    ]
    if style.number >= 2.7:
        attrs += [
            ("RdpVersion", "highest"),
            ("SSHTunnelConnectionName", node.tunnel),
            ("OpeningCommand", node.opening_command),
            ("SSHOptions", node.ssh_options),
        ]
    attrs += [
        ("PuttySession", node.putty_session),
        ("Port", str(node.port)),
        ("ConnectToConsole", b(False)),
        ("UseCredSsp", b(True)),
        ("RenderingEngine", "IE"),
        ("Colors", "Colors16Bit"),
        ("RedirectDiskDrives", "None" if style.number >= 2.8 else b(False)),
        ("Favorite", str(False)),
    ]
    if style.number >= 2.7:
        attrs += [("ExternalCredentialProvider", "None"), ("ExternalAddressProvider", "None"), ("UserViaAPI", "")]
    flags = ALL_INHERIT + (INHERIT_27 if style.number >= 2.7 else ())
    if style.number >= 2.7:
        attrs += [(f"Inherit{p}", "true") for p in flags if p in node.inherit]
        attrs += [(f"Inherit{p}", "true") for p in sorted(node.inherit - set(flags))]
    else:
        attrs += [(f"Inherit{p}", b(p in node.inherit)) for p in flags]
    extra = dict(node.extra)
    out = [(k, extra.pop(k) if k in extra else v) for k, v in attrs if k not in node.omit]
    return out + list(extra.items())


def _element(node: Node, style: Style, depth: int, nl: str, indent: str) -> list[str]:
    pad = indent * depth
    attrs = " ".join(f'{k}="{escape(v)}"' for k, v in _attributes(node, style))
    if not node.children:
        return [f"{pad}<Node {attrs} />"]
    lines = [f"{pad}<Node {attrs}>"]
    for child in node.children:
        lines += _element(child, style, depth + 1, nl, indent)
    return [*lines, f"{pad}</Node>"]


def render(nodes: list[Node], style: Style | None = None) -> str:
    """The file's text (for the legacy whole-file form: the base64 blob)."""
    style = style or Style()
    nl = style.newline
    prefixed = (style.number >= 2.7) if style.prefixed is None else style.prefixed
    tag = f"mrng:{style.root_name}" if prefixed else style.root_name
    root = [("Name", "Connections"), ("Export", style.boolean(False))]
    if not style.legacy:
        root += [
            ("EncryptionEngine", style.engine),
            ("BlockCipherMode", style.mode),
            ("KdfIterations", str(style.kdf)),
            ("FullFileEncryption", style.boolean(style.full_file)),
        ]
    root += [("Protected", style.encrypt("ThisIsProtected" if style.master else "ThisIsNotProtected"))]
    root += [("ConfVersion", style.version)]
    extra = dict(style.root_extra)
    root = [(k, extra.pop(k) if k in extra else v) for k, v in root] + list(extra.items())
    ns = ' xmlns:mrng="http://mremoteng.org"' if prefixed else ""
    head = f"<{tag}{ns} " + " ".join(f'{k}="{escape(v)}"' for k, v in root) + ">"
    lines = ['<?xml version="1.0" encoding="utf-8"?>']
    if style.full_file:
        inner = "".join("".join(_element(n, style, 0, "", "")) for n in nodes)
        lines.append(head + style.encrypt(inner) + f"</{tag}>")
    else:
        lines.append(head)
        for n in nodes:
            lines += _element(n, style, 1, nl, "    ")
        lines.append(f"</{tag}>")
    text = nl.join(lines)
    if style.legacy_full_file:
        return cbc_encrypt(text, style.master or DEFAULT_MASTER)
    return text


def write(path: Path, nodes: list[Node], style: Style | None = None, **kw) -> Path:
    """Write a confCons.xml (UTF-8 without BOM, as mRemoteNG does) and return its path."""
    style = style or Style(**kw)
    Path(path).write_bytes(render(nodes, style).encode("utf-8"))
    return Path(path)


# ---- reading back, for the tests ------------------------------------------------------------------


def read(path: Path, master: str | None = None, tmp: Path | None = None):
    """Read ``path`` with the source; ``master`` goes into a password file, as a user gives it."""
    from migrator.sources.mremoteng.source import MremotengSource

    options = {}
    if master is not None:
        secret = (tmp or path.parent) / "master.txt"
        secret.write_text(master + "\n", encoding="utf-8")
        options["password_file"] = str(secret)
    return MremotengSource(path, **options).read()


def summary(result) -> dict[str, dict]:
    """Each host's fields by name, keys and jump references without the ``format:file#`` prefix."""
    out = {}
    for h in result.hosts:
        out[h.name] = {
            "key": h.key.split("#", 1)[1],
            "address": h.address,
            "port": h.port,
            "user": h.user,
            "category": h.category,
            "password": h.credentials.password.get_secret_value() if h.credentials.password else None,
            "key_files": h.credentials.key_files,
            "jump": [(j.host, j.port, j.user, j.ref, j.ref_key and j.ref_key.split("#", 1)[1]) for j in h.jump],
            "ssh_options": h.ssh_options,
            "description": h.description,
        }
    return out
