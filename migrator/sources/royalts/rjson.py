"""rJSON (``.rjson`` documents, dynamic-folder output) turned into Royal TS objects.

Facts from royalapplications/docs ``scripting/rjson/*.md``: the root is an object with ``Objects``
(never an array); every object needs ``Type`` and ``Name``; property names are not case-sensitive;
``ID`` may be any string (a GUID or an external ID) and references use those IDs; a ``Folder`` nests
``Objects``; ``Path`` (``A/B`` or ``A\\B``, a leading separator ignored) places an object and wins
over nesting; passwords are plain text. The official samples carry a trailing comma, which Royal's
parser accepts: trailing commas are accepted here too.

Each object becomes a ``RoyalObject`` with the XML object model's property names, so the mapper
reads both alike: ``TerminalConnection`` -> ``RoyalSSHConnection`` (``ComputerName``/``URL`` ->
``URI``, ``Username`` -> ``CredentialUsername``, ...), ``Folder`` -> ``RoyalFolder``, and so on.
Where rJSON says nothing about a mode, the mode follows from the properties given:
``CredentialsFromParent`` -> 1, ``CredentialID`` -> 3, ``CredentialName`` -> 4, a username,
password or key -> 2; a ``SecureGatewayID`` without ``SecureGatewayUsage`` is used (the docs'
example assigns a gateway that way) [inferred]. ``Properties`` (raw object-model properties) are
applied after the rJSON ones [inferred].
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from json import decoder, scanner

from migrator.errors import InputError
from migrator.model import Diagnostic
from migrator.sources.limits import MAX_FOLDER_DEPTH
from migrator.sources.royalts import objects as o
from migrator.sources.royalts.objects import RoyalObject, norm_id

#: A string (an unterminated one runs to the end: retrying from inside it made ``'"\\' * n`` quadratic),
#: or a comma before a closing bracket.
_TRAILING_COMMA = re.compile(r'"(?:[^"\\]|\\.)*(?:"|\\?\Z)|,(?=\s*[\]}])', re.DOTALL)

#: rJSON type -> the object model's type; other connection types keep their rJSON name.
TYPES = {
    "folder": o.FOLDER,
    "terminalconnection": o.SSH,
    "credential": o.CREDENTIAL,
    "dynamiccredential": o.DYNAMIC_CREDENTIAL,
    "securegateway": o.GATEWAY,
    "royalserver": o.ROYAL_SERVER,
}
_TERMINAL_KINDS = {"ssh": "ssh;SSH", "telnet": "telnet;Telnet", "serialport": "serial;Serial Port"}
_USAGE = {"never": "0", "always": "1", "ondemand": "2"}


class _Obj(dict):
    """A JSON object that remembers where it starts in the text."""

    offset = 0


def _parser() -> json.JSONDecoder:
    dec = json.JSONDecoder()

    def parse_object(s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None):
        obj, end = decoder.JSONObject(s_and_end, strict, scan_once, None, None, memo)
        out = _Obj(obj)
        out.offset = s_and_end[1] - 1
        return out, end

    dec.parse_object = parse_object
    dec.scan_once = scanner.py_make_scanner(dec)
    return dec


def _text(data: bytes, shown: str) -> str:
    try:
        text = data.decode(json.detect_encoding(data))
    except (UnicodeDecodeError, LookupError):
        raise InputError(f"{shown}: not UTF-8 (or UTF-16/32) text; an rJSON document is JSON text") from None
    return text.removeprefix("\ufeff")


@dataclass
class _Reader:
    shown: str
    lines: list[int]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    out: list[RoyalObject] = field(default_factory=list)
    partial: bool = False
    #: folder oid -> its nesting path of names (for ``Path`` resolution)
    folder_paths: dict[tuple[str, ...], str] = field(default_factory=dict)
    pending_paths: list[tuple[RoyalObject, list[str]]] = field(default_factory=list)

    def line(self, obj: _Obj) -> int:
        return bisect.bisect_right(self.lines, obj.offset) + 1

    def diag(self, level, code, message, line, entry=None, field_name=None):
        self.diagnostics.append(
            Diagnostic(
                level=level, code=code, message=message, file=self.shown, line=line, entry=entry, field=field_name
            )
        )

    def walk(self, items, parent: str | None, names: tuple[str, ...], where: str) -> None:
        if not isinstance(items, list):
            self.diag("error", "rjson-structure", f"'Objects' of {where} is not an array; it is not read", None)
            self.partial = True
            return
        for item in items:
            if not isinstance(item, _Obj):
                self.diag("error", "rjson-structure", f"an item of 'Objects' in {where} is not an object", None)
                self.partial = True
                continue
            self.object(item, parent, names)

    def object(self, item: _Obj, parent: str | None, names: tuple[str, ...]) -> None:
        line = self.line(item)
        props = {str(k).lower(): v for k, v in item.items()}
        kind = props.get("type")
        name = props.get("name")
        raw_id = props.get("id")
        shown_name = name if isinstance(name, str) else None
        if not isinstance(kind, str) or not kind.strip():
            self.diag(
                "error",
                "rjson-no-type",
                "an object without 'Type' (Royal TS refuses it); not read",
                line,
                shown_name,
                "Type",
            )
            self.partial = True  # it may be a connection: its absence must never let a prune delete it
            return
        low = kind.strip().lower()
        obj = RoyalObject(type=TYPES.get(low, kind.strip()), line=line, plain=True, parent_oid=parent)
        obj.oid = f"\0{len(self.out)}"
        if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool):
            obj.fields["ID"] = str(raw_id)
        if isinstance(name, str):
            obj.fields["Name"] = name
        self._fields(obj, low, props)
        self.out.append(obj)
        path = props.get("path")
        # deeper than the cap, the tree holds the object: the rest of a hostile Path costs nothing
        segments = _segments(path)[: MAX_FOLDER_DEPTH + 1] if isinstance(path, str) else None
        here = (*names, obj.name) if segments is None else (*segments, obj.name)
        if low == "folder":
            self.folder_paths.setdefault(here, obj.oid)
        if segments is not None:
            self.pending_paths.append((obj, segments))
        elif path is not None:
            self.diag(
                "warning",
                "rjson-value",
                "'Path' is not a string; the object stays where it is nested",
                line,
                obj.name or None,
                "Path",
            )
        if low == "folder":
            children = props.get("objects")
            if children is not None:
                self.walk(children, obj.oid, here, f"folder {obj.name!r}")
        elif "objects" in props:
            self.diag(
                "warning",
                "rjson-structure",
                f"'Objects' of a {kind.strip()} object is not read (only folders hold objects)",
                line,
                obj.name or None,
                "Objects",
            )

    def _fields(self, obj: RoyalObject, low: str, props: dict) -> None:
        def text(key: str) -> str | None:
            value = props.get(key)
            if value is None:
                return None
            if isinstance(value, bool):
                return "True" if value else "False"
            if isinstance(value, (str, int)):
                return str(value)
            self.diag(
                "warning",
                "rjson-value",
                f"'{key}' is not a string, number or boolean; it is not read",
                obj.line,
                obj.name or None,
                key,
            )
            return None

        def put(prop: str, *keys: str) -> str | None:
            for key in keys:
                value = text(key)
                if value is not None:
                    obj.fields[prop] = value
                    return value
            return None

        put("Description", "description")
        if low == "securegateway" or low == "royalserver":
            put("SecureGatewayHost", "computername", "url")
            put("SecureGatewayPort", "securegatewayport", "port")
            user = put("SecureGatewayUsername", "securegatewayusername", "username")
            password = put("SecureGatewayPassword", "securegatewaypassword", "password")
            cid = put("SecureGatewayCredentialID", "securegatewaycredentialid", "credentialid")
            cname = put("SecureGatewayCredentialName", "securegatewaycredentialname", "credentialname")
            mode = "2" if cid else "3" if cname else "1" if user is not None or password is not None else "0"
            obj.fields["SecureGatewayCredentialMode"] = mode
            put("DependsOnSecureGatewayID", "dependentsecuregatewayid")
        elif low == "credential" or low == "dynamiccredential":
            put("UserName", "username")
            put("Password", "password")
            if put("PrivateKeyContent", "keyfilecontent"):
                obj.fields["PrivateKeyMode"] = "1"
            elif put("PrivateKeyPath", "keyfilepath"):
                obj.fields["PrivateKeyMode"] = "0"
            put("Passphrase", "keyfilepassphrase")
        else:
            put("URI", "computername", "url")
            put("Port", "port")
            terminal = text("terminalconnectiontype")
            if low == "terminalconnection":
                kind = (terminal or "SSH").strip()
                obj.fields["ConnectionType"] = _TERMINAL_KINDS.get(kind.lower(), f"{kind.lower()};{kind}")
            self._credentials(obj, props, put, text)
            from_parent = text("securegatewayfromparent")
            gid = put("SecureGatewayID", "securegatewayid")
            usage = text("securegatewayusage")
            if from_parent is not None:
                obj.fields["SecureGatewayFromParent"] = from_parent
            if usage is not None:
                mode = _USAGE.get(usage.strip().lower())
                if mode is None:
                    self.diag(
                        "warning",
                        "rjson-value",
                        f"'SecureGatewayUsage' {usage[:20]!r} is not Never, Always "
                        "or OnDemand; the gateway is not used",
                        obj.line,
                        obj.name or None,
                        "SecureGatewayUsage",
                    )
                obj.fields["SecureGatewayUsageMode"] = mode or "0"
            elif gid:
                obj.fields["SecureGatewayUsageMode"] = "1"
        raw = props.get("properties")
        if isinstance(raw, dict):
            for key, value in raw.items():
                prop = o.CANONICAL.get(str(key).lower())
                if prop is not None and isinstance(value, (str, int, bool)):
                    obj.fields[prop] = ("True" if value else "False") if isinstance(value, bool) else str(value)
        elif raw is not None:
            self.diag(
                "warning",
                "rjson-value",
                "'Properties' is not an object; it is not read",
                obj.line,
                obj.name or None,
                "Properties",
            )

    @staticmethod
    def _credentials(obj: RoyalObject, props: dict, put, text) -> None:
        from_parent = text("credentialsfromparent")
        if from_parent is None:
            from_parent = text("credentialfromparent")
        cid = put("CredentialId", "credentialid")
        cname = put("CredentialName", "credentialname")
        user = put("CredentialUsername", "username")
        password = put("CredentialPassword", "password")
        content = put("CredentialKeyContent", "keyfilecontent")
        keyfile = put("CredentialKeyFile", "keyfilepath")
        put("CredentialPassphrase", "keyfilepassphrase")
        if content:
            obj.fields["CredentialKeyMode"] = "1"
        if from_parent is not None:
            obj.fields["CredentialFromParent"] = from_parent
        if from_parent is not None and from_parent.strip().lower() == "true":
            mode = "1"
        elif cid:
            mode = "3"
        elif cname:
            mode = "4"
        elif any(v is not None for v in (user, password, content, keyfile)):
            mode = "2"
        else:
            mode = "0"
        obj.fields["CredentialMode"] = mode

    def place_by_path(self) -> None:
        """``Path`` wins over nesting: an existing folder at that path, else a folder made for it."""
        for obj, segments in self.pending_paths:
            parent = None
            for depth in range(1, len(segments) + 1):
                prefix = tuple(segments[:depth])
                oid = self.folder_paths.get(prefix)
                if oid is None or oid == obj.oid:
                    made = RoyalObject(type=o.FOLDER, line=obj.line, plain=True, parent_oid=parent)
                    made.oid = f"\0path{len(self.out)}"
                    made.fields["Name"] = prefix[-1]
                    self.out.append(made)
                    self.folder_paths[prefix] = oid = made.oid
                parent = oid
            obj.parent_oid = parent


def _segments(path: str) -> list[str]:
    return [s for s in re.split(r"[\\/]", path) if s.strip()]


def read_rjson(data: bytes, shown: str) -> tuple[list[RoyalObject], list[Diagnostic], bool]:
    """The objects of an rJSON document, diagnostics about it, and whether it was read only in part."""
    text = _text(data, shown)
    cleaned = _TRAILING_COMMA.sub(lambda m: m.group(0) if m.group(0).startswith('"') else " ", text)
    try:
        root = _parser().decode(cleaned)
    except json.JSONDecodeError as exc:
        raise InputError(f"{shown}:{exc.lineno}: not valid JSON ({exc.msg}); nothing is read") from None
    except RecursionError:
        raise InputError(f"{shown}: the JSON is nested too deeply to be an rJSON document") from None
    except ValueError:  # an integer of more digits than Python converts
        raise InputError(f"{shown}: the JSON holds a number too long to be read; nothing is read") from None
    if not isinstance(root, dict):
        raise InputError(f"{shown}: the root of an rJSON document must be an object with 'Objects', not an array")
    lines = [m.start() for m in re.finditer("\n", text)]
    reader = _Reader(shown=shown, lines=lines)
    props = {str(k).lower(): v for k, v in root.items()}
    if "objects" not in props:
        raise InputError(f"{shown}: the root object has no 'Objects'; not an rJSON document")
    if props["objects"] is not None:
        reader.walk(props["objects"], None, (), "the document")
    reader.place_by_path()
    for obj in reader.out:
        obj.fields["ID"] = obj.fields.get("ID", "")
        if not norm_id(obj.fields["ID"]):
            del obj.fields["ID"]
    return reader.out, reader.diagnostics, reader.partial
