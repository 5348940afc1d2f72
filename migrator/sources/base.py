"""The contract every source format implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

from migrator.model import Diagnostic, Provenance, SourceResult


class Source(ABC):
    """Reads one input (a file or a folder) into hosts and diagnostics.

    ``read`` never raises for bad content: every entry it cannot import becomes a Diagnostic that
    names the file, line/row and field, and the rest of the input still goes through. It raises
    ``InputError`` only when the input cannot be opened at all.
    """

    format: ClassVar[str]

    def __init__(self, path: str | Path, **options):
        self.path = Path(path)
        self.options = options

    @classmethod
    def detect(cls, path: Path, head: bytes) -> int:
        """How sure this format is that ``path`` (first bytes ``head``) is its kind: 0 (no) to 100."""
        return 0

    @abstractmethod
    def read(self) -> SourceResult: ...

    # helpers shared by the formats

    @property
    def display_path(self) -> str:
        return self.path.as_posix()

    def key(self, entry_id: str) -> str:
        """Stable source key: format, file (as given, or the ``key_path`` option) and the entry's id."""
        return f"{self.format}:{self.options.get('key_path') or self.display_path}#{entry_id}"

    def provenance(self, line: int | None = None, section: str | None = None, file: str | None = None):
        return Provenance(format=self.format, file=file or self.display_path, line=line, section=section)

    def diag(self, level, code, message, *, line=None, field=None, entry=None, file=None) -> Diagnostic:
        return Diagnostic(
            level=level, code=code, message=message, file=file or self.display_path,
            line=line, field=field, entry=entry,
        )
