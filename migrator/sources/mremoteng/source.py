"""mRemoteNG connection files (``confCons.xml``, ConfVersion 2.4-2.8), read the way mRemoteNG 1.77 loads them.

The file is XML, a legacy whole-file AES-CBC blob, or XML whose root holds one AES-GCM value with
all the nodes (``FullFileEncryption``). The root's ``Protected`` value is decrypted first: it proves
the master password (the default ``mR3m`` unless the user set one) before anything is imported. SSH
connections become hosts with their folders, inherited values, decrypted passwords, ``SSHOptions``
and ``SSHTunnelConnectionName`` as a one-hop jump; every other connection is reported and skipped.
See ``tree`` (inheritance), ``hosts`` (one connection), ``crypto`` and ``document``.
"""

from __future__ import annotations

import codecs
import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from migrator.errors import InputError
from migrator.model import Diagnostic, JumpHop, SourceResult
from migrator.sources.base import FileSource
from migrator.sources.limits import MAX_FOLDER_DEPTH, read_source_bytes
from migrator.sources.secrets import SecretOptions, SourceSecret, source_secret, wrong_secret

if TYPE_CHECKING:  # the readers are imported when a file is read, so detecting other formats stays cheap
    from migrator.sources.mremoteng.crypto import Scheme, ValueCipher
    from migrator.sources.mremoteng.document import Element
    from migrator.sources.mremoteng.hosts import Built
    from migrator.sources.mremoteng.tree import Resolver, Tree, TreeNode

#: The newest ConfVersion mRemoteNG 1.77 reads (``MaxSupportedConfVersion``), and so the newest read here.
MAX_CONF_VERSION = 2.8
_ENGINES = {"AES": 0, "Twofish": 1, "Serpent": 2}
_MODES = {"GCM": 0, "CCM": 1, "EAX": 2}
_PROLOG = re.compile(r"\s*(?:<\?.*?\?>|<!--.*?-->)", re.S)
_HEAD_ROOT = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?Connections\s[^>]*?\bConfVersion\s*=", re.S)


class MremotengOptions(SecretOptions):
    """Only ``password_file`` (from ``SecretOptions``): the master password, when the file has a custom one."""


class MremotengSource(FileSource):
    """Connections from an mRemoteNG ``confCons.xml``; the master password from ``password_file`` or the environment."""

    format = "mremoteng"
    summary = "mRemoteNG confCons.xml (ConfVersion 2.4-2.8): folders, inheritance, SSH tunnels, encrypted passwords"
    Options = MremotengOptions

    # ---- detection and the example -------------------------------------------------------------

    @classmethod
    def detect(cls, path: Path, head: bytes) -> int:
        if path.is_dir():
            return 0
        named = path.name.casefold().startswith("confcons")
        text = _head_text(head)
        start = 0
        while m := _PROLOG.match(text, start):
            start = m.end()
        if _HEAD_ROOT.match(text, _skip_blank(text, start)):
            return 95 if named or path.suffix.lower() == ".xml" else 85
        blob = text.strip()
        if named and blob and re.fullmatch(r"[A-Za-z0-9+/=\s]+", blob[:4096]):
            return 60  # a legacy whole-file encrypted confCons.xml: base64 only
        return 0

    @classmethod
    def example(cls, folder: Path) -> str:
        """A 2.8 file: one folder, one SSH host with a password, encrypted with the default master password."""
        from migrator.sources.mremoteng import crypto
        from migrator.sources.mremoteng.crypto import Scheme, ValueCipher

        cipher = ValueCipher(Scheme(crypto.GCM, 10000), crypto.DEFAULT_MASTER)
        protected = cipher.encrypt(crypto.NOT_PROTECTED)
        password = cipher.encrypt("example-password")
        path = Path(folder) / "confCons.xml"
        path.write_text(
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<mrng:Connections xmlns:mrng="http://mremoteng.org" Name="Connections" Export="false" '
            'EncryptionEngine="AES" BlockCipherMode="GCM" KdfIterations="10000" FullFileEncryption="false" '
            f'Protected="{protected}" ConfVersion="2.8">\n'
            f'    <Node Name="Servers" Type="Container" Expanded="true" Id="{uuid.uuid4()}" Username="" '
            'Password="" Hostname="" Protocol="SSH2" Port="22">\n'
            f'        <Node Name="web01" Type="Connection" Id="{uuid.uuid4()}" Username="deploy" '
            f'Password="{password}" Hostname="web01.example.net" Protocol="SSH2" PuttySession="Default Settings" '
            'Port="22" SSHOptions="" SSHTunnelConnectionName="" />\n'
            "    </Node>\n"
            "</mrng:Connections>\n",
            encoding="utf-8",
        )
        return path.as_posix()

    # ---- reading ----------------------------------------------------------------------------------

    def read(self) -> SourceResult:
        from migrator.sources.mremoteng import crypto
        from migrator.sources.mremoteng.tree import Resolver, Tree, build_tree

        self._diags: list[Diagnostic] = []
        self._content_line: int | None = None
        self._content_label = ""
        shown = self.display_path
        data = read_source_bytes(self.path, shown)
        secret = source_secret(self.options, shown)
        masters = [secret.value] if secret is not None else []
        if crypto.DEFAULT_MASTER not in masters:
            masters.append(crypto.DEFAULT_MASTER)
        parsed = self._document(data, secret, masters)
        root = parsed.root
        if root.local != "Connections":
            raise InputError(f"{shown}: the root element is <{root.local[:40]}>, not <Connections>: not a confCons.xml")
        version = self._version(root)
        cipher = self._unlock(root, version, secret, masters)
        partial = parsed.broken is not None or parsed.too_deep is not None
        if parsed.broken is not None:
            self._diag(
                "error", "truncated", f"{parsed.broken}; the rest of the file is not read", line=parsed.broken_line
            )
        self._too_deep(parsed)
        elements, encrypted, broken = self._content(root, version, cipher)
        if broken:
            partial = True
        tree = build_tree(elements, encrypted, Tree())
        for node in tree.too_deep:
            self._report(
                "error",
                "too-deep",
                f"its contents are not read: folders nested deeper than {MAX_FOLDER_DEPTH} levels",
                node,
            )
        result = self._hosts(tree, Resolver(version), cipher)
        result.partial = partial or bool(tree.too_deep)
        result.diagnostics = list(dict.fromkeys(self._diags))
        return result

    def _document(self, data: bytes, secret: SourceSecret | None, masters: list[str]):
        """The XML of the file; a legacy whole-file blob is decrypted first."""
        from migrator.sources.mremoteng import crypto
        from migrator.sources.mremoteng.crypto import Scheme
        from migrator.sources.mremoteng.document import parse

        shown = self.display_path
        if _looks_like_xml(data):
            return parse(data, shown)
        try:
            blob = data.decode("ascii")
        except UnicodeDecodeError:
            raise InputError(f"{shown}: neither XML nor an encrypted mRemoteNG connection file") from None
        if not re.fullmatch(r"[A-Za-z0-9+/=\s]+", blob):
            raise InputError(f"{shown}: neither XML nor an encrypted mRemoteNG connection file")
        shape = crypto.shape_error(Scheme(crypto.LEGACY), blob)
        if shape:
            raise InputError(f"{shown}: neither XML nor an encrypted mRemoteNG connection file (the content {shape})")
        opened = crypto.decrypt_document(blob, masters)
        if opened is None:
            raise wrong_secret(shown, secret, "master password")
        text, _ = opened
        self._content_line, self._content_label = 1, "the decrypted file"
        self._diag("info", "full-file-encryption", "the whole file is encrypted (legacy AES-CBC); decrypted", line=1)
        return parse(text, shown)

    def _version(self, root: Element) -> float:
        from migrator.sources.mremoteng.document import net_version

        shown = self.display_path
        text = root.attrs.get("ConfVersion")
        if text is None:
            raise InputError(f"{shown}: the root has no ConfVersion attribute; not read (nothing imported)")
        version = net_version(text)
        if version is None:
            raise InputError(f"{shown}: ConfVersion is not a version number; not read (nothing imported)")
        if version > MAX_CONF_VERSION:
            raise InputError(
                f"{shown}: ConfVersion {version:g} is newer than {MAX_CONF_VERSION}, the newest mRemoteNG 1.77 "
                "and this importer read; nothing imported"
            )
        return version

    def _schemes(self, root: Element, version: float) -> list[Scheme]:
        from migrator.sources.mremoteng import crypto
        from migrator.sources.mremoteng.crypto import Scheme
        from migrator.sources.mremoteng.document import net_enum, net_int

        shown = self.display_path
        if version < 2.6:
            return [Scheme(crypto.LEGACY)]
        engine = net_enum(root.attrs.get("EncryptionEngine"), _ENGINES)
        mode = net_enum(root.attrs.get("BlockCipherMode"), _MODES)
        engine = 0 if engine is None else engine  # Enum.TryParse failing leaves mRemoteNG's default, AES
        mode = 0 if mode is None else mode
        if engine != 0 or mode not in (0, 1):
            names = {v: k for k, v in _ENGINES.items()}, {v: k for k, v in _MODES.items()}
            what = f"EncryptionEngine {names[0].get(engine, engine)} / BlockCipherMode {names[1].get(mode, mode)}"
            raise InputError(
                f"{shown}: {what} is not supported (only AES with GCM or CCM can be read); in mRemoteNG set "
                "Options > Security to AES / GCM and save the file again; nothing imported"
            )
        text = root.attrs.get("KdfIterations")
        iterations = net_int(text)
        if iterations is None:
            self._diag(
                "info",
                "legacy-crypto",
                "no usable KdfIterations on the root: the legacy AES-CBC scheme is used",
                line=root.line,
                field="KdfIterations",
            )
            return [Scheme(crypto.LEGACY)]
        if iterations < crypto.MIN_KDF_ITERATIONS or iterations > crypto.MAX_KDF_ITERATIONS:
            raise InputError(
                f"{shown}: KdfIterations {iterations} is outside {crypto.MIN_KDF_ITERATIONS:,}-"
                f"{crypto.MAX_KDF_ITERATIONS:,} (mRemoteNG refuses fewer than 1,000); nothing imported"
            )
        return [Scheme(crypto.GCM if mode == 0 else crypto.CCM, iterations)]

    def _unlock(self, root: Element, version: float, secret: SourceSecret | None, masters: list[str]) -> ValueCipher:
        """The cipher whose master password makes ``Protected`` decrypt; a wrong or missing one stops the run."""
        from migrator.sources.mremoteng import crypto
        from migrator.sources.mremoteng.crypto import ValueCipher

        shown = self.display_path
        schemes = self._schemes(root, version)
        protected = root.attrs.get("Protected")
        if version <= 1.3:  # mRemoteNG checks Protected only after ConfVersion 1.3
            master = next((m for m in masters if crypto.usable(schemes[0], m)), crypto.DEFAULT_MASTER)
            return ValueCipher(schemes[0], master)
        if protected is None or not protected.strip():
            raise InputError(
                f"{shown}: the root has no Protected value (the master password check), so mRemoteNG refuses "
                "the file; nothing imported"
            )
        shape = crypto.shape_error(schemes[0], protected)
        if shape:
            hint = ""
            if schemes[0].kind == crypto.LEGACY and version >= 2.6 and root.attrs.get("KdfIterations") is not None:
                hint = " (KdfIterations is not a whole number mRemoteNG reads, so the legacy scheme applies)"
            raise InputError(f"{shown}: the root's Protected value {shape}{hint}; nothing imported")
        unlocked = crypto.unlock(schemes, protected, masters)
        if unlocked is None:
            raise wrong_secret(shown, secret, "master password")
        given = secret is not None and unlocked.master_index == 0
        if secret is not None and not given:
            self._diag(
                "warning",
                "secret-not-needed",
                f"the file has no custom master password; the password from {secret.origin} was not needed",
                line=root.line,
                field="Protected",
            )
        if unlocked.check not in (crypto.NOT_PROTECTED, crypto.PROTECTED):
            self._diag(
                "warning",
                "protected-text",
                "Protected decrypts, but not to the text mRemoteNG writes; the master password is right",
                line=root.line,
                field="Protected",
            )
        self._diag(
            "info",
            "encryption",
            f"encrypted with {unlocked.cipher.scheme.describe()}, "
            f"{'a custom master password' if given else 'the default master password'}",
            line=root.line,
        )
        return unlocked.cipher

    def _content(self, root: Element, version: float, cipher: ValueCipher) -> tuple[list[Element], bool, bool]:
        """The top-level elements, whether they came from encrypted content, and whether that broke off."""
        from migrator.sources.mremoteng.crypto import DecryptError
        from migrator.sources.mremoteng.document import net_bool, parse_fragment

        shown = self.display_path
        text = root.text.strip()
        full = version >= 2.6 and net_bool(root.attrs.get("FullFileEncryption")) is True
        if not full:
            if text:
                self._diag(
                    "warning",
                    "root-text",
                    "the root holds text although FullFileEncryption is not true; the text is ignored",
                    line=root.line,
                )
            return root.children, self._content_line is not None, False
        if not text or root.children:
            what = "no encrypted content" if not text else "Node elements besides its encrypted content"
            raise InputError(f"{shown}: FullFileEncryption is true but the root holds {what}; nothing imported")
        try:
            plain = cipher.decrypt(text)
        except DecryptError as exc:
            raise InputError(f"{shown}: the encrypted content {exc}; nothing imported") from None
        self._content_line, self._content_label = root.line, "the encrypted content"
        self._diag(
            "info", "full-file-encryption", "the connections are encrypted as a whole; decrypted", line=root.line
        )
        fragment = parse_fragment(plain, shown)
        self._too_deep(fragment)
        if fragment.broken:
            self._diag(
                "error",
                "truncated",
                f"in the encrypted content, {fragment.broken}; the rest is not read",
                line=root.line,
            )
        return fragment.root.children, True, fragment.broken is not None or fragment.too_deep is not None

    def _too_deep(self, parsed) -> None:
        from migrator.sources import safexml

        if parsed.too_deep is not None:
            line, suffix = self._where(parsed.too_deep, self._content_line is not None)
            self._diag(
                "error",
                "xml-too-deep",
                f"elements nested deeper than {safexml.MAX_DEPTH} levels are not read{suffix}",
                line=line,
            )

    # ---- hosts ------------------------------------------------------------------------------------

    def _keys(self, tree: Tree) -> dict[int, str]:
        """Each connection's key: its Id GUID, else its name (``#2``, ``#3`` for repeats in file order)."""
        keys: dict[int, str] = {}
        used: set[str] = set()
        counts: dict[str, int] = {}
        for node in tree.connections:
            ident = (node.attr("Id") or "").strip()
            if not ident:
                n = counts[node.name] = counts.get(node.name, 0) + 1
                ident = node.name if n == 1 else f"{node.name}#{n}"
            base, n = ident, 1
            while ident in used:
                n += 1
                ident = f"{base}#{n}"
            if n > 1 and (node.attr("Id") or "").strip():
                self._report("warning", "duplicate-id", f"its Id is used by an earlier node; keyed {ident}", node, "Id")
            used.add(ident)
            keys[id(node)] = self.key(ident)
        return keys

    def _hosts(self, tree: Tree, resolver: Resolver, cipher: ValueCipher) -> SourceResult:
        from migrator.sources.mremoteng.hosts import HostBuilder

        for skipped in tree.skipped:
            name = skipped.element.attrs.get("Name") if skipped.element.local == "Node" else None
            entry = "/".join((*skipped.folder, name if name is not None else f"<{skipped.element.local[:40]}>"))
            line, suffix = self._where(skipped.element.line, skipped.encrypted)
            self._diags.append(
                self.diag("warning", "not-loaded", f"not imported: {skipped.reason}{suffix}", line=line, entry=entry)
            )
        builder = HostBuilder(resolver, cipher, self._report, self._provenance)
        keys = self._keys(tree)
        ssh = [node for node in tree.connections if builder.is_ssh(node)]
        cipher.prefetch(resolver.value(node, "Password")[0] for node in ssh)
        built: dict[int, Built] = {}
        for node in tree.connections:
            b = builder.build(node, keys[id(node)])
            if b is not None:
                built[id(node)] = b
        for node in tree.containers:
            if node.parent is None:
                builder.top_level_flags(node)
        first_ssh: dict[str, TreeNode] = {}
        for node in ssh:
            first_ssh.setdefault(node.name, node)
        # A tunnel is opened without its own tunnel, so only its own fields decide whether it is usable.
        usable = {key: b.host for key, b in built.items()}
        result = SourceResult()
        for b in built.values():
            if b.host is not None and b.tunnel:
                self._tunnel(b, tree, first_ssh, built, usable)
            if b.host is None:
                result.held.add(b.key)
            else:
                result.hosts.append(b.host)
        return result

    def _tunnel(self, b: Built, tree: Tree, first_ssh: dict[str, TreeNode], built: dict[int, Built], usable) -> None:
        """``SSHTunnelConnectionName``: the first SSH connection of exactly that name, one hop only."""
        from migrator.sources.mremoteng.hosts import inherited

        name, node = b.tunnel, b.node
        where = inherited(node, b.tunnel_from)
        target = first_ssh.get(name)
        problem = None
        if target is None:
            others = [n for n in tree.connections if n.name == name]
            folders = [n for n in tree.containers if n.name == name]
            hint = "; connections of that name are not SSH (skipped, as mRemoteNG does)" if others else ""
            hint += "; a folder of that name is never a tunnel" if folders else ""
            problem = f"its SSH tunnel '{name}'{where} is not an SSH connection in this file{hint}"
        elif target is node:
            problem = f"its SSH tunnel '{name}'{where} is the connection itself"
        else:
            tb = built.get(id(target))
            if tb is None or usable.get(id(target)) is None:
                line, suffix = self._where(target.line, target.encrypted)
                problem = f"its SSH tunnel '{name}'{where} (line {line}{suffix}) is not imported (see its error)"
        if problem:
            self._report("error", "tunnel", f"not imported: {problem}", node, "SSHTunnelConnectionName")
            b.host = None
            return
        t = usable[id(target)]
        if tb.tunnel:
            self._report(
                "warning",
                "tunnel-hop",
                f"its SSH tunnel '{name}' has its own SSH tunnel '{tb.tunnel}', which mRemoteNG does not follow "
                "(one hop only): this connection goes to the tunnel's address directly, through a hop entry "
                "without the tunnel's password",
                node,
                "SSHTunnelConnectionName",
            )
            hop = JumpHop(host=t.address, port=t.port, user=t.user)
        else:
            hop = JumpHop(host=t.address, port=t.port, user=t.user, ref=t.name, ref_key=t.key)
        b.host.jump = [hop]

    # ---- diagnostics ------------------------------------------------------------------------------

    def _where(self, line: int, encrypted: bool) -> tuple[int | None, str]:
        if encrypted and self._content_line is not None:
            return self._content_line, f" ({self._content_label}, line {line})"
        return line, ""

    def _report(self, level: str, code: str, message: str, node: TreeNode, field: str | None = None) -> None:
        line, suffix = self._where(node.line, node.encrypted)
        self._diags.append(self.diag(level, code, message + suffix, line=line, field=field, entry=node.path))

    def _diag(self, level: str, code: str, message: str, **kw) -> None:
        self._diags.append(self.diag(level, code, message, **kw))

    def _provenance(self, node: TreeNode):
        line, suffix = self._where(node.line, node.encrypted)
        return self.provenance(line=line, section=suffix.strip(" ()") or None)


def _head_text(head: bytes) -> str:
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(bom):
            return head[len(bom) :].decode(codec, errors="replace")
    return head.decode("utf-8", errors="replace").lstrip("\ufeff")


def _skip_blank(text: str, start: int) -> int:
    while start < len(text) and text[start] in " \t\r\n":
        start += 1
    return start


def _looks_like_xml(data: bytes) -> bool:
    """mRemoteNG looks for its exact XML declaration; the first non-blank character is the sturdier test."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    return data.removeprefix(codecs.BOM_UTF8).lstrip(b" \t\r\n").startswith(b"<")
