"""Royal TS documents written the way Royal TS writes them, with real encryption, for the tests.

``encrypt`` is the exact inverse of the importer's decryption, written independently of it (PBKDF2
through ``cryptography``'s KDF, not hashlib): random 48-byte salt, key = PBKDF2-HMAC-SHA1(static
prefix + UTF-8 document password, salt[0:40], 1000, 32), header XTS with tweak ``ff*8 00*8`` of
``"XTS1" | length u64 LE | unit u32 LE``, body in data units with tweak = index, zero-padded to 16
(HyperSine, how-does-RoyalTS-encrypt-password). ``stealing=True`` leaves the padding out, which
makes the last unit XTS ciphertext stealing (a variant Royal is not known to write).

``RoyalDoc`` builds the flat object list of ``<RTSZDocument>``: each object an element named after
its .NET type, properties as child elements, ``ParentID`` -> ``ID`` for the tree.
"""

from __future__ import annotations

import base64
import io
import json
import os
import struct
import uuid
import zipfile
from xml.sax.saxutils import escape

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

PREFIX = b"jtWcgJq<MKE]@M#uH3yKZi]CznpP}?}VKr3r]h{<wkp%+FMwUz"
HEADER_TWEAK = b"\xff" * 8 + b"\x00" * 8

# Public vectors (HyperSine/how-does-RoyalTS-encrypt-password README.md): both hold "hypersine123456".
VECTOR_NO_PASSWORD = (
    "FLBmVEbJNRahI5kXsGe95WVJtsG7BbutepAbzrRZH1YcNqBO34TcxYoTvw1hUiuJtJPHFW6vkK/g4Gtgr8wvFIIGu1WupKnWVkQRYbk/Mmg="
)
VECTOR_ROYAL_PASS = (
    "UzXEW845XJpD2ZWRLhrzIo4Ex8iC8nu0ra5SbaBykDHk6lCfi2mvUz1CHLEm/TRL2CGDVgoN4LiygLHG4Cb9i7BohvPpoiG0jFwXCi4mYHY="
)
VECTOR_PLAINTEXT = "hypersine123456"
VECTOR_PASSWORD = "royal_pass"


def _key(password: str, salt: bytes) -> bytes:
    kdf = PBKDF2HMAC(algorithm=hashes.SHA1(), length=32, salt=salt[:40], iterations=1000)
    return kdf.derive(PREFIX + password.encode("utf-8"))


def _xts(key: bytes, tweak: bytes, data: bytes) -> bytes:
    enc = Cipher(algorithms.AES(key), modes.XTS(tweak)).encryptor()
    return enc.update(data) + enc.finalize()


def encrypt(
    plaintext: str | bytes,
    password: str = "",
    *,
    salt: bytes | None = None,
    unit: int = 0x10000,
    stealing: bool = False,
    magic: bytes = b"XTS1",
    length: int | None = None,
) -> str:
    """A stored value as Royal TS writes it (``magic``/``length`` forge a header for hostile tests)."""
    raw = plaintext.encode("utf-8") if isinstance(plaintext, str) else plaintext
    salt = os.urandom(48) if salt is None else salt
    key = _key(password, salt)
    header = _xts(key, HEADER_TWEAK, magic + struct.pack("<QI", len(raw) if length is None else length, unit))
    body = b""
    for index, start in enumerate(range(0, len(raw), unit)):
        chunk = raw[start : start + unit]
        if not stealing and len(chunk) % 16:
            chunk += b"\0" * (16 - len(chunk) % 16)
        body += _xts(key, index.to_bytes(16, "little"), chunk)
    return base64.b64encode(salt + header + body).decode("ascii")


def guid() -> str:
    return str(uuid.uuid4())


def _text(value) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


class RoyalDoc:
    """A document: ``add`` objects (returns their ID), then ``xml()`` or ``write(path)``."""

    def __init__(self, password: str = "", name: str = "Connections", trash: bool = True):
        self.password = password
        self.objects: list[tuple[str, dict[str, str]]] = []
        self.root = self.add("RoyalDocument", parent=None, Name=name)
        self.trash = self.add("RoyalTrash", Name="Trash") if trash else None

    def enc(self, plaintext: str) -> str:
        return encrypt(plaintext, self.password)

    def add(self, type_: str, parent: str | None | bool = True, id: str | None = None, **props) -> str:
        oid = id if id is not None else guid()
        fields = {"ID": oid}
        if parent is True:
            parent = self.root
        if parent:
            fields["ParentID"] = parent
        fields.update({k: _text(v) for k, v in props.items() if v is not None})
        self.objects.append((type_, fields))
        return oid

    def folder(self, name: str, parent: str | bool = True, **props) -> str:
        return self.add("RoyalFolder", parent, Name=name, **props)

    def ssh(self, name: str, uri: str, parent: str | bool = True, **props) -> str:
        props.setdefault("ConnectionType", "ssh;SSH")
        return self.add("RoyalSSHConnection", parent, Name=name, URI=uri, **props)

    def credential(self, name: str, parent: str | bool = True, **props) -> str:
        return self.add("RoyalCredential", parent, Name=name, **props)

    def gateway(self, name: str, host: str, parent: str | bool = True, **props) -> str:
        return self.add("RoyalSecureGateway", parent, Name=name, SecureGatewayHost=host, **props)

    def xml(self, *, bom: bool = False, newline: str = "\r\n", declaration: bool = True) -> bytes:
        lines = ['<?xml version="1.0" encoding="utf-8"?>'] if declaration else []
        lines.append("<RTSZDocument>")
        for type_, fields in self.objects:
            lines.append(f"  <{type_}>")
            for key, value in fields.items():
                lines.append(f"    <{key}>{escape(value)}</{key}>" if value else f"    <{key} />")
            lines.append(f"  </{type_}>")
        lines.append("</RTSZDocument>")
        data = newline.join(lines).encode("utf-8")
        return (b"\xef\xbb\xbf" + data) if bom else data

    def write(self, path, **kw) -> str:
        with open(path, "wb") as fh:
            fh.write(self.xml(**kw))
        return str(path)


def zipped(xml: bytes, member: str = "Document.rtsz", extra: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
        archive.writestr(member, xml)
    return buf.getvalue()


def rjson(objects: list[dict], name: str | None = None, *, trailing_commas: bool = False) -> bytes:
    doc: dict = {"Objects": objects}
    if name is not None:
        doc = {"Name": name, **doc}
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    if trailing_commas:  # as the official samples have them: after the last member of each object
        text = text.replace('"\n', '",\n').replace("]\n", "],\n")
    return text.encode("utf-8")


SAMPLE_PASSWORD = "Royal-Sample-2024"


def write_samples(folder) -> None:
    """The files of samples/royalts/ (see its README.md); salts are random, so each run differs in bytes."""
    from pathlib import Path

    folder = Path(folder)
    doc = RoyalDoc(password=SAMPLE_PASSWORD, name="Datacenter")
    ops = doc.credential("ops", UserName="ops", Password=doc.enc("ops-Secret-1"))
    gateways = doc.folder("Gateways")
    bastion = doc.gateway(
        "bastion",
        "bastion.example.net",
        parent=gateways,
        SecureGatewayPort=22,
        SecureGatewayCredentialMode=1,
        SecureGatewayUsername="jump",
        SecureGatewayPassword=doc.enc("jump-Secret-2"),
    )
    prod = doc.folder("Prod", CredentialMode=3, CredentialId=ops, SecureGatewayUsageMode=1, SecureGatewayID=bastion)
    web = doc.folder("Web", parent=prod, CredentialMode=1, SecureGatewayFromParent=True)
    doc.ssh(
        "web-01",
        "10.20.0.11",
        parent=web,
        Port=22,
        CredentialMode=1,
        SecureGatewayFromParent=True,
        Description="nginx front end",
    )
    doc.ssh("web-02", "10.20.0.12", parent=web, Port=22, CredentialMode=1, SecureGatewayFromParent=True)
    db = doc.folder("DB", parent=prod)
    doc.ssh(
        "db-01",
        "10.20.1.5",
        parent=db,
        Port=2222,
        CredentialMode=2,
        CredentialUsername="postgres",
        CredentialPassword=doc.enc("pg-Secret-3"),
        SecureGatewayFromParent=True,
    )
    doc.add("RoyalRDSConnection", parent=prod, Name="win-jump", URI="10.20.2.2")
    doc.ssh("old-switch", "10.20.3.1", parent=prod, ConnectionType="telnet;Telnet")
    doc.ssh("decommissioned", "10.20.9.9", parent=doc.trash)
    doc.write(folder / "datacenter.rtsz")

    lab = RoyalDoc(name="Lab")
    lab.ssh(
        "lab-01",
        "lab01.example.net",
        CredentialMode=2,
        CredentialUsername="pi",
        CredentialPassword=lab.enc("lab-Secret-4"),
        CredentialKeyMode=0,
        CredentialKeyFile="~/.ssh/id_lab",
    )
    lab.write(folder / "lab.rtsz")

    (folder / "dynamic.rjson").write_bytes(
        rjson(
            [
                {"Type": "Credential", "Name": "svc", "ID": "cred-svc", "Username": "svc", "Password": "svc-Secret-5"},
                {
                    "Type": "SecureGateway",
                    "Name": "edge",
                    "ID": "gw-edge",
                    "ComputerName": "edge.example.net",
                    "CredentialID": "cred-svc",
                },
                {
                    "Type": "Folder",
                    "Name": "Cloud",
                    "CredentialID": "cred-svc",
                    "SecureGatewayID": "gw-edge",
                    "Objects": [
                        {
                            "Type": "TerminalConnection",
                            "TerminalConnectionType": "SSH",
                            "Name": "app-01",
                            "ID": "vm-1001",
                            "ComputerName": "172.16.0.10",
                            "CredentialsFromParent": True,
                            "SecureGatewayFromParent": True,
                        },
                        {
                            "Type": "TerminalConnection",
                            "TerminalConnectionType": "SSH",
                            "Name": "app-02",
                            "ID": "vm-1002",
                            "ComputerName": "172.16.0.11",
                            "Path": "Cloud/Batch",
                            "Username": "batch",
                            "Password": "batch-Secret-6",
                        },
                        {"Type": "RemoteDesktopConnection", "Name": "build-win", "ComputerName": "172.16.0.20"},
                    ],
                },
            ],
            name="Cloud inventory",
        )
    )
