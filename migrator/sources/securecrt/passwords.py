"""Deciding what SecureCRT's stored passwords are, and whether the passphrase is the right one.

The configuration passphrase opens every ``Password V2`` value of a configuration. The SHA-256 in
each value's frame tells the two failures apart: when the passphrase opens no value (or the
configuration's own passphrase check, ``Security/Passphrase`` or ``Config Passphrase``, fails) it
is the wrong one and the whole read stops (``wrong_secret``: exit 1, nothing imported); when it
opens the others, a value that does not check out is damaged and only its entry is held. Old
``Password`` values need no passphrase; a value of an unknown shape is damaged.
"""

from __future__ import annotations

from dataclasses import dataclass

from migrator.sources.secrets import KdfBudget, SourceSecret, wrong_secret
from migrator.sources.securecrt import bcrypt_pbkdf
from migrator.sources.securecrt.crypto import (
    ChecksumMismatch,
    CorruptValue,
    check_v2,
    decrypt_legacy,
    decrypt_v2,
    v2_salt,
)

SECRET_NAME = "configuration passphrase"
#: Distinct salts one read derives in pure Python (several seconds each). SecureCRT writes one salt per
#: configuration; a file with more is unusual, and past this cap a crafted one would run for hours.
MAX_PURE_SALTS = 16
#: Distinct salts one read derives at all (compiled ``bcrypt.kdf``: 0.05-0.2 s each, so a few minutes):
#: far above the one salt per configuration SecureCRT writes, while a crafted file of 100,000 session
#: files with a salt each cannot run for hours.
MAX_SALTS = 2048


@dataclass(frozen=True)
class StoredSecret:
    """One encrypted value and where it is (never its plaintext)."""

    key: str
    entry: str
    file: str
    line: int | None
    field: str
    value: str


@dataclass(frozen=True)
class Failure:
    secret: StoredSecret
    reason: str


class Unlocker:
    def __init__(self, secret: SourceSecret | None, shown: str):
        self.secret = secret
        self.passphrase = secret.value if secret is not None else ""
        self.shown = shown
        self.pure_derivations = 0
        self._pure_salts: set[bytes] = set()
        self._salts: set[bytes] = set()
        self._budget = KdfBudget(MAX_SALTS)

    def unlock(
        self, values: list[StoredSecret], verifier: StoredSecret | None
    ) -> tuple[dict[str, str], list[Failure], list[str]]:
        """Plaintexts by entry key, the values that failed, and notes for the user (no secrets in any)."""
        before = bcrypt_pbkdf.pure_derivations
        notes: list[str] = []
        verified = self._verify(verifier, notes)
        plain: dict[str, str] = {}
        failures: list[Failure] = []
        mismatched: list[StoredSecret] = []
        opened = 0
        for secret in values:
            try:
                if secret.field == "Password":
                    plain[secret.key] = decrypt_legacy(secret.value)
                    continue
                check_v2(secret.value)
                if not self._may_derive(v2_salt(secret.value)):
                    cap = MAX_SALTS if self.passphrase else MAX_PURE_SALTS
                    failures.append(
                        Failure(
                            secret,
                            f"the value needs one more slow key derivation, and this configuration already "
                            f"needed {cap} (one per salt; SecureCRT uses one salt per configuration)",
                        )
                    )
                    continue
                plain[secret.key] = decrypt_v2(secret.value, self.passphrase)
                opened += 1
            except CorruptValue as exc:
                failures.append(Failure(secret, f"{exc}; the value is damaged"))
            except ChecksumMismatch:
                mismatched.append(secret)
        if mismatched and not opened and not verified:
            raise wrong_secret(self.shown, self.secret, SECRET_NAME)
        for secret in mismatched:
            failures.append(
                Failure(
                    secret,
                    "the value does not decrypt with the passphrase that opens the other values (its checksum "
                    "does not match): it is damaged",
                )
            )
        self.pure_derivations = bcrypt_pbkdf.pure_derivations - before
        return plain, failures, notes

    def _may_derive(self, salt: bytes | None) -> bool:
        """False when the value would need a derivation past ``MAX_SALTS`` (pure Python: ``MAX_PURE_SALTS``)."""
        if salt is None or salt in self._salts:
            return True
        if not self.passphrase and len(self._pure_salts) >= MAX_PURE_SALTS:
            return False
        if not self._budget.spend():
            return False
        self._salts.add(salt)
        if not self.passphrase:
            self._pure_salts.add(salt)
        return True

    def _verify(self, verifier: StoredSecret | None, notes: list[str]) -> bool:
        """True when the configuration's own passphrase check opens with the passphrase; wrong_secret if not."""
        if verifier is None or not verifier.value.strip():
            return False
        try:
            check_v2(verifier.value)
            self._may_derive(v2_salt(verifier.value))
            decrypt_v2(verifier.value, self.passphrase)
        except CorruptValue:
            notes.append(f"the passphrase check ({verifier.field}) is damaged; each value is checked on its own")
            return False
        except ChecksumMismatch:
            raise wrong_secret(self.shown, self.secret, SECRET_NAME) from None
        return True
