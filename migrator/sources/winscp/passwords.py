"""WinSCP's stored passwords: plain, obfuscated or master-password encrypted, and the master password.

A site's ``PasswordPlain`` wins over ``Password`` (``LOAD_PASSWORD``: the plain value is read when
it exists). Obfuscated values need no secret. Master-password values need the master password
(``password_file`` or ``XPIPE_MIGRATE_SOURCE_PASSWORD``): the configuration's verifier tells a wrong
master password (the whole read stops, nothing is imported) from a damaged value (only its site is
held); without a verifier, a master password that opens no value is the wrong one.
"""

from __future__ import annotations

from dataclasses import dataclass

from migrator.errors import ConfigError
from migrator.sources.secrets import KdfBudget, SourceSecret, wrong_secret
from migrator.sources.winscp.crypto import (
    KDF_ITERATIONS,
    CorruptValue,
    MacMismatch,
    decrypt_master,
    decrypt_simple,
    is_master_encrypted,
    master_blob,
    verify_master,
)

SECRET_NAME = "WinSCP master password"


@dataclass(frozen=True)
class StoredPassword:
    """One stored password of a site and where it is (never its plaintext)."""

    key: str
    entry: str
    field: str
    line: int
    value: str
    plain: bool
    encryption_key: str

    @property
    def needs_master(self) -> bool:
        return not self.plain and is_master_encrypted(self.value)


@dataclass(frozen=True)
class Outcome:
    password: str | None = None
    error: str | None = None
    warning: str | None = None


def unlock(
    values: list[StoredPassword],
    verifier: str | None,
    secret: SourceSecret | None,
    shown: str,
    explicit_file: bool,
) -> dict[StoredPassword, Outcome]:
    """The outcome of every stored password; raises ``wrong_secret`` for a master password that is wrong."""
    needs_master = [v for v in values if v.needs_master]
    if needs_master and secret is None:
        raise wrong_secret(shown, None, SECRET_NAME)
    verified = False
    if secret is not None and (needs_master or explicit_file):
        if verifier:
            check = verify_master(verifier, secret.value)
            if check is False:
                raise wrong_secret(shown, secret, SECRET_NAME)
            verified = check is True
        elif not needs_master:
            raise ConfigError(
                f"{shown}: password_file does not apply: no site in this WinSCP.ini is encrypted with a master "
                "password (remove the option)"
            )
    out: dict[StoredPassword, Outcome] = {}
    mismatched: list[StoredPassword] = []
    opened = 0
    budget = KdfBudget()  # every master-password value has its own salt: one PBKDF2 each
    for v in values:
        if v.plain:
            out[v] = Outcome(password=v.value)
            continue
        try:
            if v.needs_master:
                master_blob(v.value)
                if not budget.spend(KDF_ITERATIONS):
                    out[v] = Outcome(error=budget.refusal())
                    continue
                out[v] = Outcome(password=decrypt_master(v.value, secret.value))  # type: ignore[union-attr]
                opened += 1
                continue
            password = decrypt_simple(v.value, v.encryption_key)
        except CorruptValue as exc:
            out[v] = Outcome(error=f"{exc}; the stored {v.field} is damaged")
            continue
        except MacMismatch:
            mismatched.append(v)
            continue
        if password is None:
            out[v] = Outcome(
                warning=f"the stored {v.field} was saved for another user name or host name (WinSCP keys it "
                "with both), so WinSCP ignores it; imported without it"
            )
        else:
            out[v] = Outcome(password=password)
    if mismatched and not opened and not verified:
        raise wrong_secret(shown, secret, SECRET_NAME)
    for v in mismatched:
        out[v] = Outcome(
            error=f"the stored {v.field} does not decrypt with the master password that opens the others (its MAC "
            "does not match): it is damaged"
        )
    return out
