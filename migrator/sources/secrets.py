"""The secret that unlocks a source file: a master password, a passphrase, a document password.

It comes from a file (the ``password_file`` option, a path: relative to the job file in a job) or
from the environment variable ``XPIPE_MIGRATE_SOURCE_PASSWORD``; the file wins when both are set.
It is never taken as an option value (command lines end up in shell histories, job files in
repositories), never stored (not in the ledger, a saved plan or a report: a saved plan fingerprints
the file's bytes, not the secret) and never shown: ``SourceSecret`` has no ``repr`` of its value,
and messages name only where the secret came from.

A format that needs one declares ``Options = SecretOptions`` (or a subclass) and asks
``source_secret(self.options, shown)`` when it reads. A secret that does not unlock the file raises
``WrongSourceSecret``, a ``ConfigError``: the whole run stops with one line and exit 1 before
anything is written, because importing a file without its credentials, or with garbage for them,
is never what the user meant.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from migrator.errors import ConfigError, InputError
from migrator.sources.base import SourceOptions
from migrator.sources.limits import read_source_bytes
from migrator.userpath import expand_home

#: The environment variable a source secret may come from.
PASSWORD_ENV = "XPIPE_MIGRATE_SOURCE_PASSWORD"

#: A secret file is a line of text; anything larger is not one.
MAX_SECRET_FILE_BYTES = 64 * 1024

#: Option names that would carry a secret itself; refused with a pointer to the two safe ways.
SECRET_OPTION_NAMES = frozenset(
    {
        "password",
        "passphrase",
        "master_password",
        "masterpassword",
        "master",
        "secret",
        "document_password",
        "vault_passphrase",
        "vault_password",
        "key_passphrase",
        "pass",
    }
)


def refusal(shown: str) -> str:
    return (
        f"{shown}: a source password is never taken as an option (command lines and job files are kept in "
        f"shell histories and repositories): put it in a file and pass password_file=PATH, or set {PASSWORD_ENV}"
    )


def refuse_secret_values(raw: Mapping | None, where: str) -> None:
    """Every format refuses an option that would carry a secret itself (``Source.parse_options``)."""
    if isinstance(raw, Mapping) and any(str(k).strip().lower() in SECRET_OPTION_NAMES for k in raw):
        raise ConfigError(refusal(where))


class SecretOptions(SourceOptions):
    """Options of a format whose files can be locked: ``password_file`` names the file holding the secret."""

    #: file holding the password that unlocks the file (default: the XPIPE_MIGRATE_SOURCE_PASSWORD variable)
    password_file: Path | None = None


@dataclass(frozen=True)
class SourceSecret:
    """A secret the user supplied, and where from. ``value`` is never printed; ``origin`` may be."""

    value: str
    origin: str

    def __repr__(self) -> str:
        return f"SourceSecret(origin={self.origin!r})"

    __str__ = __repr__


class WrongSourceSecret(ConfigError):
    """The secret given does not unlock the file (or none was given and the file needs one)."""


def source_secret(options: SourceOptions, shown: str, env: Mapping[str, str] | None = None) -> SourceSecret | None:
    """The secret for the source ``shown``, or None when the user gave none.

    A password file holds the secret as text (UTF-8, a BOM ignored); one line ending (``\\n`` or
    ``\\r\\n``) at its end is not part of it, so ``echo secret > file`` works; other whitespace is.
    An empty file is an empty secret, which some formats use (a SecureCRT configuration without a
    passphrase): that is different from giving none.
    """
    path = getattr(options, "password_file", None)
    if path is not None:
        path = expand_home(path)
        where = f"{shown}: password_file {path}"
        try:
            raw = read_source_bytes(path, where, limit=MAX_SECRET_FILE_BYTES)
        except InputError as exc:
            raise ConfigError(str(exc)) from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ConfigError(f"{where}: not UTF-8 text") from None
        if text.endswith("\r\n"):
            text = text[:-2]
        elif text.endswith("\n"):
            text = text[:-1]
        if "\n" in text or "\r" in text:
            raise ConfigError(f"{where}: holds more than one line; a password file holds the password alone")
        return SourceSecret(text, f"password_file {path}")
    env = os.environ if env is None else env
    value = env.get(PASSWORD_ENV)
    if value is None:
        return None
    return SourceSecret(value, PASSWORD_ENV)


#: PBKDF2 iterations one read may spend, for formats that derive a key per encrypted value: 50,000
#: values at 10,000 iterations or 500,000 at 1,000 (minutes of work), never the hours a crafted file
#: of a million values at a high count would take.
KDF_ITERATIONS_PER_READ = 500_000_000


class KdfBudget:
    """The key-derivation work one read of a source may spend, in the format's own unit.

    Formats that give every encrypted value its own salt (mRemoteNG, SecureCRT ``03:``) derive one key
    per value, so the file sets the cost: a crafted file of a million values at a high iteration count
    would run for days. Each derivation is paid for before it runs; once the budget is spent the
    remaining values are not decrypted and their entries are held (never imported without their
    password, never removed by a prune). Caps are set far above real files and named in the message.
    """

    def __init__(self, limit: int | None = None, unit: str = "PBKDF2 iterations"):
        self.limit = KDF_ITERATIONS_PER_READ if limit is None else limit
        self.unit = unit
        self.spent = 0

    def spend(self, cost: int = 1) -> bool:
        """Pay ``cost`` for one more derivation; False (nothing paid) when it would pass the limit."""
        if self.spent + cost > self.limit:
            return False
        self.spent += cost
        return True

    def refusal(self) -> str:
        """Why a value past the budget is not decrypted (its entry is held)."""
        return (
            f"it is not decrypted: every encrypted value of this file has its own salt, and decrypting it would "
            f"pass the {self.limit:,} {self.unit} one read spends on key derivation"
        )


def wrong_secret(shown: str, secret: SourceSecret | None, what: str = "password") -> WrongSourceSecret:
    """The one line for a secret that does not unlock ``shown``: it names where the secret came from."""
    if secret is None:
        return WrongSourceSecret(
            f"{shown}: the file is protected by a {what}; put it in a file and pass "
            f"--source-option password_file=PATH, or set {PASSWORD_ENV} (nothing was imported)"
        )
    return WrongSourceSecret(
        f"{shown}: the {what} from {secret.origin} does not unlock this file (nothing was imported)"
    )
