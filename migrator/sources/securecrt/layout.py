"""What a SecureCRT configuration holds once read, whichever layout it came from (folder or XML)."""

from __future__ import annotations

from dataclasses import dataclass, field

from migrator.model import Diagnostic
from migrator.sources.securecrt.settings import RawSession, Setting

#: Session names of the templates at the top of ``Sessions``: not servers [real export; 3rd-party].
TEMPLATES = ("default", "default_localshell")


@dataclass
class Configuration:
    """Sessions in file order, the templates, global settings by section, and what went wrong.

    ``globals`` maps a lower-case section (``security``, ``global``, ``ssh2``) to its settings.
    ``incomplete`` lists sessions whose end a truncated file never reached: they are held.
    """

    sessions: list[RawSession] = field(default_factory=list)
    templates: list[RawSession] = field(default_factory=list)
    globals: dict[str, dict[str, Setting]] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    incomplete: list[RawSession] = field(default_factory=list)
    partial: bool = False
    #: True when the global settings (Config/*.ini or the export's Global/SSH2 keys) were available.
    has_globals: bool = False

    def global_setting(self, section: str, name: str) -> Setting | None:
        return self.globals.get(section, {}).get(name.casefold())
