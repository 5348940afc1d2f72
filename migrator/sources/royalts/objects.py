"""One Royal TS object as both readers give it: its .NET type, its properties as text, where it is.

The XML document (``document.py``) holds objects exactly like this; rJSON (``rjson.py``) is turned
into the same properties (its ``Username`` becomes ``CredentialUsername`` and so on), so one mapper
(``hosts.py``) serves both. Property names are the object model's
(royalapplications/docs ``scripting/objects/**``); values are read as .NET reads them.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

#: The properties the importer reads; the readers drop every other one as they parse.
PROPERTIES = (
    "ID",
    "ParentID",
    "Name",
    "Description",
    "URI",
    "Port",
    "ConnectionType",
    "IsTelnetConnection",
    "IsSerialPortConnection",
    "IsConnectionTemplate",
    "CredentialMode",
    "CredentialFromParent",
    "CredentialId",
    "CredentialName",
    "CredentialUsername",
    "CredentialPassword",
    "CredentialKeyMode",
    "CredentialKeyFile",
    "CredentialKeyContent",
    "CredentialPassphrase",
    "PrivateKeyPath",
    "Passphrase",
    "UserName",
    "Password",
    "PrivateKeyMode",
    "PrivateKeyContent",
    "SSHAuthAgent",
    "SecureGatewayUsageMode",
    "SecureGatewayID",
    "SecureGatewayFromParent",
    "SecureGatewayHost",
    "SecureGatewayPort",
    "SecureGatewayUsername",
    "SecureGatewayPassword",
    "SecureGatewayCredentialMode",
    "SecureGatewayCredentialID",
    "SecureGatewayCredentialName",
    "DependsOnSecureGatewayID",
    "ProxyMode",
    "ProxyModePutty",
    "PuttySessionName",
)
#: Written name of each property by its lower-case form: element names are matched without case.
CANONICAL = {name.lower(): name for name in PROPERTIES}
#: Properties whose XML values are encrypted with the document password (rJSON: plain text).
#: ``CredentialPassword`` is verified (HyperSine's example); the passphrases are inferred.
ENCRYPTED = frozenset({"CredentialPassword", "CredentialPassphrase", "Password", "Passphrase", "SecureGatewayPassword"})

DOCUMENT = "RoyalDocument"
FOLDER = "RoyalFolder"
TRASH = "RoyalTrash"
SSH = "RoyalSSHConnection"
CREDENTIAL = "RoyalCredential"
DYNAMIC_CREDENTIAL = "RoyalDynamicCredential"
GATEWAY = "RoyalSecureGateway"
ROYAL_SERVER = "RoyalManagementEndpoint"
DYNAMIC_FOLDER = "RoyalDynamicFolder"
#: Objects that hold others: their names make up the folder path of what is below them.
CONTAINERS = frozenset({FOLDER, DYNAMIC_FOLDER})

_EMPTY_GUID = "00000000-0000-0000-0000-000000000000"
_INT = re.compile(r"\s*([+-]?)0*([0-9]{1,18})\s*")  # more digits are no int (and int() refuses 4,300+)


@dataclass(eq=False, slots=True)
class RoyalObject:
    """An object of the document; ``oid`` is unique within the file even when ``ID`` is not."""

    type: str
    line: int
    fields: dict[str, str] = field(default_factory=dict)
    oid: str = ""
    #: True for rJSON: its secrets are plain text.
    plain: bool = False
    #: rJSON: the parent given by nesting or ``Path`` (the XML uses ``ParentID``).
    parent_oid: str | None = None

    @property
    def name(self) -> str:
        return self.fields.get("Name", "").strip()

    def text(self, prop: str) -> str:
        return self.fields.get(prop, "")

    def flag(self, prop: str) -> bool | None:
        """``bool.TryParse``: ``True``/``False`` in any case, surrounding whitespace ignored."""
        value = self.fields.get(prop)
        if value is None:
            return None
        low = value.strip().lower()
        return True if low == "true" else False if low == "false" else None

    def number(self, prop: str) -> int | None | str:
        """The integer, None when absent or empty, or the string ``"bad"`` when it is no integer."""
        value = self.fields.get(prop)
        if value is None or not value.strip():
            return None
        m = _INT.fullmatch(value)
        return int(m.group(1) + m.group(2)) if m else "bad"

    def ref(self, prop: str) -> str | None:
        """An ID property, normalised like ``norm_id``; None for empty and ``Guid.Empty``."""
        return norm_id(self.fields.get(prop))


def norm_id(value: str | None) -> str | None:
    """A GUID in its lower-case form, any other ID as written (stripped); None for none."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        text = str(uuid.UUID(value))
    except ValueError:
        return value
    return None if text == _EMPTY_GUID else text
