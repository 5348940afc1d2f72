"""Royal TS / Royal TSX documents (``.rtsz``, ``.rtsx``) and rJSON documents (``.rjson``).

What is read, how, and what is verified or inferred: see the package modules (``document``,
``rjson``, ``crypto``, ``credentials``, ``hosts``) and the README's "Royal TS" section.

The document password comes from ``password_file`` or ``XPIPE_MIGRATE_SOURCE_PASSWORD``; without
one the empty password is used, which is what a document without a password is encrypted with.
A password that does not decrypt the document's values is one clear line and nothing is imported.
"""

from __future__ import annotations

from pathlib import Path

from migrator.errors import ConfigError
from migrator.model import Diagnostic, SourceResult
from migrator.sources.base import FileSource, strip_bom
from migrator.sources.limits import read_source_bytes
from migrator.sources.royalts import ROOT
from migrator.sources.secrets import SecretOptions, source_secret, wrong_secret

SUFFIXES = (".rtsz", ".rtsx")


class RoyalTsOptions(SecretOptions):
    """``password_file``: the document password (Royal TS: the document's "Encrypt" password)."""


class RoyalTsSource(FileSource):
    """SSH connections, folders, credentials and secure gateways of a Royal TS document."""

    format = "royalts"
    summary = "Royal TS / Royal TSX documents (.rtsz, .rtsx) and rJSON (.rjson)"
    Options = RoyalTsOptions

    @classmethod
    def detect(cls, path: Path, head: bytes) -> int:
        if path.is_dir():
            return 0
        sniff = strip_bom(head)
        if sniff.startswith(b"<") and f"<{ROOT}".encode() in head:
            return 95
        suffix = path.suffix.lower()
        if suffix in SUFFIXES or suffix == ".rjson":
            return 90
        if sniff.startswith(b"{") and b'"Objects"' in head and b'"Type"' in head:
            return 40
        return 0

    @classmethod
    def example(cls, folder: Path) -> str:
        path = Path(folder) / "example.rtsz"
        path.write_text(
            '<?xml version="1.0" encoding="utf-8"?>\r\n<RTSZDocument>\r\n'
            "  <RoyalDocument>\r\n    <ID>3f1e0c52-6d0b-4d38-9c1b-5a2e7d1f0a01</ID>\r\n"
            "    <Name>Example</Name>\r\n  </RoyalDocument>\r\n"
            "  <RoyalSSHConnection>\r\n    <ID>9b2f4e1a-0c3d-4a5b-8e6f-7a8b9c0d1e02</ID>\r\n"
            "    <Name>web-01</Name>\r\n    <ParentID>3f1e0c52-6d0b-4d38-9c1b-5a2e7d1f0a01</ParentID>\r\n"
            "    <URI>192.0.2.11</URI>\r\n    <Port>22</Port>\r\n    <ConnectionType>ssh;SSH</ConnectionType>\r\n"
            "    <CredentialMode>2</CredentialMode>\r\n    <CredentialUsername>deploy</CredentialUsername>\r\n"
            "  </RoyalSSHConnection>\r\n</RTSZDocument>\r\n",
            encoding="utf-8",
        )
        return path.as_posix()

    def read(self) -> SourceResult:
        # the readers are imported here, so detecting other formats stays cheap
        from migrator.sources.royalts.credentials import DocumentSecrets
        from migrator.sources.royalts.document import read_document
        from migrator.sources.royalts.hosts import HostMapper
        from migrator.sources.royalts.objects import CREDENTIAL, DOCUMENT, ENCRYPTED, FOLDER, GATEWAY, SSH
        from migrator.sources.royalts.rjson import read_rjson
        from migrator.sources.royalts.tree import Tree

        shown = self.display_path
        data = read_source_bytes(self.path, shown)
        diagnostics: list[Diagnostic] = []
        partial = False
        if self.path.suffix.lower() == ".rjson" or strip_bom(data).startswith((b"{", b"[")):
            if getattr(self.options, "password_file", None) is not None:
                raise ConfigError(
                    f"{shown}: password_file does not apply: an rJSON document holds its passwords as plain text"
                )
            objects, diagnostics, partial = read_rjson(data, shown)
        else:
            parsed = read_document(data, shown)
            objects = parsed.objects
            if parsed.broken is not None:
                line, reason = parsed.broken
                partial = True
                diagnostics.append(
                    self.diag(
                        "error",
                        "xml-broken",
                        f"the XML breaks off here ({reason}); the {len(objects)} objects before it are read, "
                        "the rest is not",
                        line=line,
                    )
                )
        tree = Tree(objects)
        secrets = DocumentSecrets("")
        used = (SSH, FOLDER, DOCUMENT, CREDENTIAL, GATEWAY)  # the objects whose secrets can be imported
        values = [
            x.text(prop)
            for x in objects
            if x.type in used and not x.plain and not tree.trashed(x)
            for prop in ENCRYPTED
            if x.text(prop).strip()
        ]
        if values:
            secret = source_secret(self.options, shown)
            secrets = DocumentSecrets(secret.value if secret is not None else "")
            if secrets.unlocks(values) is False:
                raise wrong_secret(shown, secret, "document password")
        result = HostMapper(self, tree, secrets).run()
        result.diagnostics[:0] = diagnostics
        result.partial = result.partial or partial
        return result
