"""Secret nodes: which live encrypted nodes hold which of the sources' secrets (a ledger table).

XPipe hands out a new ciphertext on every encryption, so comparing a secret means decrypting the
live node (one ``/secret/decrypt`` per distinct node). ``secret_nodes`` remembers, for the nodes
this job wrote or found equal to a secret of its sources, ``digest(node) -> digest(strategy)``,
both keyed by this ledger's key. It holds no secret and nothing secret-derived that the ledger did
not already hold: the value digest is exactly the digest ``entries.fields`` keeps for that secret
field (only strategies the sources give are ever recorded, never a secret found in someone else's
entry), and the node digest is a digest of ciphertext, which without XPipe's vault key says nothing
about the plaintext. Whoever can read the file can try to guess a secret against either digest the
same way; the key never leaves the file (mode 0600). The planner only ever uses it to learn that a
live node holds *exactly* the strategy the source now gives (``SecretReader.strategy(expect=)``);
anything else is decrypted as before. What it cannot see: a node whose bytes stayed the same while
XPipe's vault key changed under it (a vault restored with another key). ``audit`` therefore never
uses it and decrypts every node.
"""

from __future__ import annotations

from migrator.errors import LedgerError
from migrator.sync.ledger_file import now


class SecretNodes:
    """Mixed into ``Ledger``: uses its ``db``."""

    def known_nodes(self) -> dict[str, str]:
        """digest(node) -> digest(strategy) of the nodes this ledger knows (none in an older ledger)."""
        try:
            rows = self.db.execute("SELECT node, value FROM secret_nodes").fetchall()
        except LedgerError:
            return {}  # read-only, written by a version without the table
        return dict(rows)

    def remember_nodes(self, known: dict[str, str]) -> None:
        """Make ``known`` (digest(node) -> digest(strategy)) what this ledger knows: nodes no longer
        in it (gone from the vault, or holding another secret now) are forgotten."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            stale = [(n,) for (n,) in self.db.execute("SELECT node FROM secret_nodes").fetchall() if n not in known]
            self.db.executemany("DELETE FROM secret_nodes WHERE node = ?", stale)
            at = now()
            self.db.executemany(
                "INSERT OR REPLACE INTO secret_nodes (node, value, seen) VALUES (?, ?, ?)",
                [(n, v, at) for n, v in known.items()],
            )
        except BaseException:
            self.db.rollback()
            raise
        self.db.execute("COMMIT")
