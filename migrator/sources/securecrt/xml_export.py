"""SecureCRT's XML export ("Tools > Export Settings") [real: mRemoteNG's test_securecrt.xml].

``<VanDyke version="3.0">`` holds nested ``<key name=...>``; ``<key name="Sessions">`` holds the
session tree: a key with a ``Hostname`` string (or an ``Is Session`` number) is a session, any other
key a folder [code: mRemoteNG ``SecureCRTFileDeserializer.cs``]. Values are ``<string>``,
``<dword>`` (**decimal** here, unlike the ``.ini`` files), ``<array>`` of ``<string>`` and
``<binary>`` (hex bytes). Read with expat for line numbers; a DOCTYPE (and so any entity
declaration) is refused, so no entity is ever expanded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.parsers import expat

from migrator.errors import InputError
from migrator.model import Diagnostic
from migrator.sources import safexml
from migrator.sources.securecrt.layout import TEMPLATES, Configuration
from migrator.sources.securecrt.settings import RawSession, Setting

_VALUE_TAGS = {"string": "S", "dword": "D", "array": "Z", "binary": "B"}
_DECIMAL = re.compile(r"\s*(-?[0-9]{1,10})\s*")
_MAX_DEPTH = 200


class _Refused(Exception):
    pass


@dataclass
class _Key:
    name: str
    line: int
    settings: dict[str, Setting] = field(default_factory=dict)
    children: list[_Key] = field(default_factory=list)
    closed: bool = False


class XmlExportReader:
    def __init__(self, data: bytes, shown: str):
        self.data = data
        self.shown = shown
        self.diagnostics: list[Diagnostic] = []
        self._stack: list[_Key] = []
        self._root: _Key | None = None
        self._value: tuple[str, str, int] | None = None  # kind, name, line
        self._array: list[str] | None = None
        self._text: list[str] = []
        self._in_item = False
        self._unknown: set[str] = set()

    def _diag(self, level, code, message, line=None, entry=None, field=None) -> None:
        self.diagnostics.append(
            Diagnostic(level=level, code=code, message=message, file=self.shown, line=line, entry=entry, field=field)
        )

    # ---- expat callbacks ----------------------------------------------------------------------

    def _refuse_doctype(self, *args) -> None:
        raise _Refused("DOCTYPE")

    def _refuse_entity(self, *args) -> None:
        raise _Refused("ENTITY")

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        line = self._parser.CurrentLineNumber
        if self._root is None:
            if tag != "VanDyke":
                raise _Refused("root")
            self._root = _Key("VanDyke", line)
            self._stack.append(self._root)
            return
        if self._value is not None:
            if self._value[0] == "Z" and tag == "string":
                self._in_item = True
                self._text = []
            return
        if tag == "key":
            if len(self._stack) > _MAX_DEPTH:
                raise _Refused("depth")
            key = _Key(attrs.get("name", ""), line)
            self._stack[-1].children.append(key)
            self._stack.append(key)
        elif tag in _VALUE_TAGS:
            self._value = (_VALUE_TAGS[tag], attrs.get("name", ""), line)
            self._text = []
            self._array = [] if tag == "array" else None
        elif tag not in self._unknown:
            self._unknown.add(tag)
            self._diag("info", "xml-element", f"element <{tag}> is not part of SecureCRT's export; ignored", line)

    def _chars(self, text: str) -> None:
        if self._value is not None and (self._array is None or self._in_item):
            self._text.append(text)

    def _end(self, tag: str) -> None:
        if self._value is not None:
            kind, name, line = self._value
            if kind == "Z" and tag == "string" and self._in_item:
                self._array.append("".join(self._text))  # type: ignore[union-attr]
                self._in_item = False
                return
            if tag not in _VALUE_TAGS:
                return
            self._stack[-1].settings[name.casefold()] = Setting(kind, self._convert(kind, name, line), line)
            self._value = None
            self._array = None
            return
        if tag == "key" or tag == "VanDyke":
            self._stack[-1].closed = True
            self._stack.pop()

    def _convert(self, kind: str, name: str, line: int):
        text = "".join(self._text)
        if kind == "S":
            return text
        if kind == "Z":
            return list(self._array or [])
        if kind == "D":
            m = _DECIMAL.fullmatch(text)
            if m is None:
                self._diag("warning", "invalid-value", f"{name} is not a decimal number; ignored", line, field=name)
                return None
            return int(m.group(1)) & 0xFFFFFFFF
        parts = text.split()
        if not all(re.fullmatch(r"[0-9A-Fa-f]{2}", p) for p in parts):
            self._diag("warning", "invalid-value", f"{name} is not hex bytes; ignored", line, field=name)
            return None
        return bytes(int(p, 16) for p in parts)

    # ---- reading ------------------------------------------------------------------------------

    def read(self) -> Configuration:
        config = Configuration()
        parser = expat.ParserCreate()
        self._parser = parser
        parser.StartDoctypeDeclHandler = self._refuse_doctype
        parser.EntityDeclHandler = self._refuse_entity
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._chars
        try:
            parser.Parse(self.data, True)
        except _Refused as exc:
            raise InputError(_refusal(self.shown, str(exc))) from None
        except safexml.ENCODING_ERRORS:
            raise InputError(f"{self.shown}: {safexml.BAD_ENCODING}; nothing imported") from None
        except expat.ExpatError as exc:
            if self._root is None:
                raise InputError(
                    f"{self.shown}: not XML SecureCRT wrote ({expat.ErrorString(exc.code)} at line {exc.lineno})"
                ) from None
            config.partial = True
            self._diag(
                "error",
                "xml-syntax",
                f"the XML is damaged or cut off at line {exc.lineno} ({expat.ErrorString(exc.code)}); "
                "what follows is not read, and nothing is pruned on this read",
                exc.lineno,
            )
        if self._root is None:
            raise InputError(f"{self.shown}: empty file; a SecureCRT export starts with <VanDyke>")
        self._collect(config)
        config.diagnostics = self.diagnostics + config.diagnostics
        return config

    def _collect(self, config: Configuration) -> None:
        sections = {k.name.casefold(): k for k in self._root.children}  # type: ignore[union-attr]
        for name in ("security", "global", "ssh2"):
            if name in sections:
                config.globals[name] = sections[name].settings
        config.has_globals = "global" in sections or "ssh2" in sections
        sessions = sections.get("sessions")
        if sessions is None:
            self._diag("warning", "no-sessions", "the export has no Sessions key (no sessions were exported)")
            return
        self._walk(sessions, [], config, top=True)

    def _walk(self, key: _Key, folder: list[str], config: Configuration, top: bool) -> None:
        for child in key.children:
            is_session = "hostname" in child.settings or "is session" in child.settings
            if not is_session and child.children:
                self._walk(child, [*folder, child.name], config, top=False)
                continue
            raw = RawSession(name=child.name, folder=folder, file=self.shown, line=child.line, settings=child.settings)
            if not child.closed:
                config.incomplete.append(raw)
            elif top and child.name.casefold() in TEMPLATES:
                config.templates.append(raw)
            elif is_session:
                if child.children:
                    self._diag(
                        "warning",
                        "xml-structure",
                        "a session key holds further keys; they are ignored",
                        child.line,
                        entry=raw.path,
                    )
                config.sessions.append(raw)
            elif child.settings:
                self._diag(
                    "warning",
                    "no-host",
                    "not imported: the key has settings but no Hostname, so it is neither a session nor a folder",
                    child.line,
                    entry=raw.path,
                )


def _refusal(shown: str, what: str) -> str:
    if what in ("DOCTYPE", "ENTITY"):
        return f"{shown}: the XML has a DOCTYPE or entity declaration, which SecureCRT never writes; refused (not read)"
    if what == "depth":
        return f"{shown}: the XML nests keys more than {_MAX_DEPTH} deep; refused (not read)"
    return f"{shown}: not a SecureCRT export (the root element is not <VanDyke>)"
