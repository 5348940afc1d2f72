"""Which user, password and key a Royal TS connection or secure gateway logs in with.

``CredentialMode`` (royalapplications/docs, ``RoyalSSHConnection``/``RoyalFolder``): 0 none, 1 from
the parent folder, 2 username/password on the object, 3 a credential object by ``CredentialId``, 4 a
credential object by ``CredentialName``, 5 the context connection (templates only). Mode 1 walks up
to the first folder (or the document) that defines credentials (mode 2, 3, 4 or 5); folders that
define none are passed over [inferred: the docs describe inheritance for rJSON]. Without a
``CredentialMode`` (older documents, or a default omitted) the mode follows from what is there: the
old ``CredentialFromParent`` flag, a ``CredentialId``, a ``CredentialName``, own values [inferred].

``CredentialName`` matches a credential's name exactly; when none matches exactly, a single match
ignoring case (Java's ``equalsIgnoreCase``, like XPipe's names) is used and reported; two or more
matches are ambiguous and the connection is held. An embedded key (key mode 1) cannot be carried:
XPipe reads keys from files, so the connection is held with what to do about it.

A secure gateway's own credential mode is 0 none, 1 username/password, 2 by ID, 3 by name.
"""

from __future__ import annotations

from dataclasses import dataclass

from migrator.sources.royalts import crypto
from migrator.sources.royalts import objects as o
from migrator.sources.royalts.objects import RoyalObject
from migrator.sources.royalts.tree import Tree
from migrator.sources.secrets import KdfBudget

AGENTS = {1: "openssh", 2: "pageant", 3: "pageant"}


class _Exhausted(Exception):
    """The read's key-derivation budget is spent (``KdfBudget``)."""


class Unusable(Exception):
    """The entry cannot be imported as the document describes it: held, with this reason."""

    def __init__(self, field: str, message: str, code: str = "invalid-value"):
        super().__init__(message)
        self.field, self.message, self.code = field, message, code


@dataclass
class Creds:
    user: str | None = None
    password: str | None = None
    key_file: str | None = None
    passphrase: str | None = None
    agent: str | None = None


class DocumentSecrets:
    """Decrypts the document's values under one document password, each value once."""

    def __init__(self, password: str):
        self.password = password
        self._cache: dict[str, str | Exception] = {}
        self._budget = KdfBudget()  # every value has its own salt: one PBKDF2 each

    def _decrypt(self, value: str) -> str:
        if value not in self._cache:
            if not self._budget.spend(crypto.ITERATIONS):
                raise _Exhausted(self._budget.refusal())
            try:
                self._cache[value] = crypto.decrypt(value, self.password)
            except (crypto.DamagedValue, crypto.WrongPassword) as exc:
                self._cache[value] = exc
        result = self._cache[value]
        if isinstance(result, Exception):
            raise result
        return result

    def unlocks(self, values: list[str]) -> bool | None:
        """True when a value decrypts; False when every well-shaped one shows a wrong password."""
        wrong = False
        for value in values:
            try:
                self._decrypt(value)
                return True
            except crypto.WrongPassword:
                wrong = True
            except (crypto.DamagedValue, _Exhausted):
                continue
        return False if wrong else None

    def reveal(self, obj: RoyalObject, prop: str) -> str | None:
        value = obj.text(prop)
        if obj.plain:
            return value or None
        if not value.strip():
            return None
        try:
            return self._decrypt(value) or None
        except crypto.WrongPassword:
            raise Unusable(
                prop,
                "the stored value does not decrypt with the document password, although the document's other "
                "values do: it is damaged; set it again in Royal TS",
                "undecryptable",
            ) from None
        except crypto.DamagedValue as exc:
            raise Unusable(
                prop, f"the stored value is damaged ({exc}); it cannot be decrypted", "undecryptable"
            ) from None
        except _Exhausted as exc:
            raise Unusable(prop, str(exc), "kdf-budget") from None


def _mode_error(obj: RoyalObject, prop: str, allowed: str) -> Unusable:
    return Unusable(prop, f"{prop} of {obj.type} '{obj.name}' is not one of {allowed}")


class CredentialResolver:
    def __init__(self, tree: Tree, secrets: DocumentSecrets, note):
        self.tree, self.secrets, self.note = tree, secrets, note
        self._holder: dict[str, RoyalObject | None] = {}

    # ---- modes -------------------------------------------------------------------------------

    def mode(self, obj: RoyalObject) -> int:
        value = obj.number("CredentialMode")
        if value == "bad" or (isinstance(value, int) and not 0 <= value <= 5):
            raise _mode_error(obj, "CredentialMode", "0-5")
        if value is not None:
            return value
        if obj.flag("CredentialFromParent"):
            return 1
        if obj.ref("CredentialId"):
            return 3
        if obj.text("CredentialName").strip():
            return 4
        own = ("CredentialUsername", "CredentialPassword", "CredentialKeyFile", "CredentialKeyContent")
        return 2 if any(obj.text(p).strip() for p in own) else 0

    def _inherited(self, obj: RoyalObject) -> RoyalObject | None:
        """The first container above ``obj`` that defines credentials (memoised per container)."""
        chain: list[RoyalObject] = []
        result = None
        for node in self.tree.ancestors(obj):
            if node.oid in self._holder:
                result = self._holder[node.oid]
                break
            chain.append(node)
            if self.mode(node) >= 2:
                result = node
                break
        for node in chain:
            self._holder[node.oid] = result
        return result

    # ---- connections -------------------------------------------------------------------------

    def for_connection(self, conn: RoyalObject) -> Creds:
        mode = self.mode(conn)
        holder = conn
        if mode == 1:
            holder = self._inherited(conn)
            if holder is None:
                self.note(
                    "info",
                    "no-inherited-credentials",
                    "takes its credentials from the parent folder, but no "
                    "folder above it defines any; imported without credentials",
                    conn,
                    "CredentialMode",
                )
                creds = Creds()
            else:
                try:
                    creds = self._defined(holder, self.mode(holder), conn)
                except Unusable as exc:
                    where = f"in the credentials of {self.tree.describe(holder)!r}, which it inherits"
                    raise Unusable(exc.field, f"{exc.message} ({where})", exc.code) from None
        else:
            creds = self._defined(conn, mode, conn)
        if creds.key_file is None and conn.text("PrivateKeyPath").strip():
            creds.key_file = conn.text("PrivateKeyPath").strip()
            creds.passphrase = self.secrets.reveal(conn, "Passphrase")
        agent = conn.number("SSHAuthAgent")
        if agent == "bad" or (isinstance(agent, int) and agent not in (0, *AGENTS)):
            raise _mode_error(conn, "SSHAuthAgent", "0-3")
        creds.agent = AGENTS.get(agent) if isinstance(agent, int) else None
        return creds

    def _defined(self, obj: RoyalObject, mode: int, user_of: RoyalObject) -> Creds:
        where = "" if obj is user_of else f" (from {self.tree.describe(obj)!r})"
        if mode == 0:
            return Creds()
        if mode == 2:
            key_file = self._key(obj, "CredentialKeyMode", "CredentialKeyFile", "CredentialKeyContent")
            return Creds(
                user=obj.text("CredentialUsername").strip() or None,
                password=self.secrets.reveal(obj, "CredentialPassword"),
                key_file=key_file,
                passphrase=self.secrets.reveal(obj, "CredentialPassphrase") if key_file else None,
            )
        if mode == 3:
            return self._credential(self._by_id(obj, "CredentialId", where), user_of, "CredentialId")
        if mode == 4:
            return self._credential(self._by_name(obj, "CredentialName", where, user_of), user_of, "CredentialName")
        self.note(
            "warning",
            "context-credentials",
            f"uses the credentials of a context connection{where} "
            "(connection templates); they cannot be resolved from the file: imported without credentials",
            user_of,
            "CredentialMode",
        )
        return Creds()

    def _by_id(self, obj: RoyalObject, prop: str, where: str) -> RoyalObject:
        cid = obj.ref(prop)
        if cid is None:
            raise Unusable(prop, f"is set to use an existing credential{where}, but names none")
        target = self.tree.by_id.get(cid)
        if target is None:
            raise Unusable(
                prop,
                f"the credential it names{where} is not in this document (Royal TS can use "
                "credentials of other open documents; move or copy it into this one)",
                "broken-reference",
            )
        return target

    def _by_name(self, obj: RoyalObject, prop: str, where: str, user_of: RoyalObject) -> RoyalObject:
        name = obj.text(prop).strip()
        if not name:
            raise Unusable(prop, f"is set to use a credential by name{where}, but names none")
        exact, folded = self.tree.credentials_named(name)
        matches = exact or folded
        if not matches:
            raise Unusable(prop, f"no credential named {name!r}{where} is in this document", "broken-reference")
        if len(matches) > 1:
            lines = ", ".join(str(x.line) for x in matches[:5])
            raise Unusable(
                prop,
                f"{len(matches)} credentials are named {name!r}{where} (lines {lines}); "
                "rename them so the name picks one",
                "ambiguous-reference",
            )
        if not exact:
            self.note(
                "info",
                "credential-name-case",
                f"the credential {matches[0].name!r} matches {name!r} only ignoring case; it is used",
                user_of,
                prop,
            )
        return matches[0]

    def _credential(self, target: RoyalObject, user_of: RoyalObject, prop: str) -> Creds:
        label = self.tree.describe(target)
        if target.type == o.DYNAMIC_CREDENTIAL:
            self.note(
                "warning",
                "dynamic-credential",
                f"uses the dynamic credential {label!r}, which Royal TS "
                "fetches with a script when connecting; imported without credentials",
                user_of,
                prop,
            )
            return Creds()
        if target.type != o.CREDENTIAL:
            raise Unusable(
                prop, f"the object it names as its credential is a {target.type}, not a credential", "broken-reference"
            )
        if self.tree.trashed(target):
            raise Unusable(prop, f"its credential {label!r} is in the Trash", "broken-reference")
        try:
            key_file = self._key(target, "PrivateKeyMode", "PrivateKeyPath", "PrivateKeyContent")
            return Creds(
                user=target.text("UserName").strip() or None,
                password=self.secrets.reveal(target, "Password"),
                key_file=key_file,
                passphrase=self.secrets.reveal(target, "Passphrase") if key_file else None,
            )
        except Unusable as exc:
            raise Unusable(exc.field, f"{exc.message} (in its credential {label!r})", exc.code) from None

    def _key(self, obj: RoyalObject, mode_prop: str, file_prop: str, content_prop: str) -> str | None:
        mode = obj.number(mode_prop)
        path = obj.text(file_prop).strip()
        content = obj.text(content_prop).strip()
        if mode == 1 or (mode is None and content and not path):
            if content:
                raise Unusable(
                    content_prop,
                    f"the private key is embedded in the document ({mode_prop} 1); XPipe reads keys from files: "
                    "save the key to a file, set the key mode to 'path' with that file in Royal TS, and import again",
                    "embedded-key",
                )
            return None
        if mode not in (None, 0):
            raise _mode_error(obj, mode_prop, "0 (path) or 1 (embedded)")
        return path or None

    # ---- secure gateways ---------------------------------------------------------------------

    def for_gateway(self, gw: RoyalObject) -> Creds:
        mode = gw.number("SecureGatewayCredentialMode")
        if mode == "bad" or (isinstance(mode, int) and not 0 <= mode <= 3):
            raise _mode_error(gw, "SecureGatewayCredentialMode", "0-3")
        if mode is None:
            if gw.ref("SecureGatewayCredentialID"):
                mode = 2
            elif gw.text("SecureGatewayCredentialName").strip():
                mode = 3
            elif gw.text("SecureGatewayUsername").strip() or gw.text("SecureGatewayPassword").strip():
                mode = 1
            else:
                mode = 0
        if mode == 1:
            creds = Creds(
                user=gw.text("SecureGatewayUsername").strip() or None,
                password=self.secrets.reveal(gw, "SecureGatewayPassword"),
            )
        elif mode == 2:
            target = self._by_id(gw, "SecureGatewayCredentialID", "")
            creds = self._credential(target, gw, "SecureGatewayCredentialID")
        elif mode == 3:
            target = self._by_name(gw, "SecureGatewayCredentialName", "", gw)
            creds = self._credential(target, gw, "SecureGatewayCredentialName")
        else:
            creds = Creds()
        agent = gw.number("SSHAuthAgent")
        creds.agent = AGENTS.get(agent) if isinstance(agent, int) else None
        return creds
