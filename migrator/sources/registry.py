"""Which source formats exist: the built-ins and the plugins other packages install.

A plugin is a distribution with an entry point in the group ``xpipe_migrate.sources`` whose name is
the format's name and whose value is its ``Source`` class (``module:Class``). The class declares the
contract version it was written for (``Source.api_version``); a version this release does not speak
is refused instead of being half-used.

A plugin that cannot be loaded (an import error, not a ``Source``, a wrong version, a name that is
not its class's ``format``) is reported and skipped: it never stops the built-ins. A plugin that
takes a built-in's name is refused (the built-in keeps its name), and two plugins with one name are
both unusable until one is uninstalled: a collision is an error, never a silent pick.

Plugins are looked up only when a run needs them (detection, a name that is not built in, the
``formats`` command), so a run that names built-in formats never scans the installed packages.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass

from migrator.errors import InputError

#: The entry-point group plugins register their ``Source`` classes in.
PLUGIN_GROUP = "xpipe_migrate.sources"
#: The source contract versions this release speaks (``Source.api_version``).
SUPPORTED_API_VERSIONS = (1,)
#: A format name: what ``FORMAT:PATH`` and job files use. Two characters at least, so that a
#: Windows drive letter (``C:\\...``) is never read as a format.
_NAME = re.compile(r"[a-z][a-z0-9_]{1,31}")


@dataclass
class FormatEntry:
    """One registered format: where its class lives, who provides it, and what went wrong, if anything."""

    name: str
    target: str
    origin: str
    problem: str | None = None
    cls: type | None = None

    @property
    def builtin(self) -> bool:
        return self.origin == "built-in"


class Registry:
    """The formats of this process: built-ins from ``FORMATS``, plugins from entry points on demand."""

    def __init__(self, builtins: dict[str, str], entry_points=None):
        self.entries: dict[str, FormatEntry] = {
            name: FormatEntry(name, target, "built-in") for name, target in builtins.items()
        }
        self._entry_points = entry_points  # for tests: a callable returning entry points
        self._scanned = False
        #: Problems of plugins that are not in ``entries`` at all (a clash with a built-in, a bad name).
        self.refused: list[str] = []

    # -- discovery -----------------------------------------------------------------------------

    def scan(self) -> None:
        """Read the installed plugins' entry points (without importing them), once."""
        if self._scanned:
            return
        self._scanned = True
        seen: dict[str, list[FormatEntry]] = {}
        for ep in self._plugin_entry_points():
            dist = getattr(ep, "dist", None)
            origin = f"plugin {dist.name} {dist.version}" if dist is not None else f"plugin {ep.value}"
            entry = FormatEntry(ep.name, ep.value, origin)
            if not _NAME.fullmatch(ep.name):
                self.refused.append(
                    f"{origin}: format name {ep.name!r} is not a lower-case name of 2-32 letters, digits "
                    "and '_'; the plugin is not used"
                )
                continue
            if ep.name in self.entries and self.entries[ep.name].builtin:
                self.refused.append(
                    f"{origin}: format name {ep.name!r} is a built-in format's; the plugin is not used "
                    "(the built-in keeps the name)"
                )
                continue
            seen.setdefault(ep.name, []).append(entry)
        for name, entries in seen.items():
            if len(entries) > 1:
                who = " and ".join(e.origin for e in entries)
                clash = f"format {name!r} is registered by {who}; uninstall one of them to use it"
                for e in entries:
                    e.problem = clash
            self.entries[name] = entries[0]

    def _plugin_entry_points(self):
        if self._entry_points is not None:
            return list(self._entry_points())
        from importlib.metadata import entry_points

        try:
            found = list(entry_points(group=PLUGIN_GROUP))
        except Exception as exc:  # a broken distribution's metadata must not stop the built-ins
            self.refused.append(f"the installed plugins could not be listed: {_one_line(exc)}")
            return []
        # One distribution seen twice on sys.path (a checkout and an install) is one plugin.
        unique = {}
        for ep in found:
            dist = getattr(ep, "dist", None)
            unique.setdefault((ep.name, ep.value, dist.name if dist is not None else None), ep)
        return list(unique.values())

    # -- lookup --------------------------------------------------------------------------------

    def names(self, *, scan: bool = True) -> tuple[str, ...]:
        """Every format name a ``FORMAT:`` prefix or a job file may use (broken plugins included)."""
        if scan:
            self.scan()
        return tuple(self.entries)

    def entry(self, name: str) -> FormatEntry:
        if name not in self.entries:
            self.scan()
        try:
            return self.entries[name]
        except KeyError:
            raise InputError(f"unknown source format {name!r}; known: {', '.join(self.usable())}") from None

    def load(self, name: str) -> type:
        """The ``Source`` class of ``name``; ``InputError`` with the plugin's problem if it has one."""
        entry = self.entry(name)
        if entry.cls is None and entry.problem is None:
            self._load(entry)
        if entry.problem is not None:
            raise InputError(f"source format {name!r}: {entry.problem}")
        return entry.cls

    def _load(self, entry: FormatEntry) -> None:
        from migrator.sources.base import Source, SourceOptions

        module, _, attr = entry.target.partition(":")
        try:
            obj = importlib.import_module(module)
            for part in attr.split(".") if attr else ():
                obj = getattr(obj, part)
        except Exception as exc:
            if entry.builtin and not isinstance(exc, ImportError):
                raise  # a built-in that fails to import is this program's bug, not the user's
            entry.problem = f"{entry.origin}: cannot be loaded ({_one_line(exc)})"
            return
        problem = None
        if not (isinstance(obj, type) and issubclass(obj, Source)):
            problem = f"{entry.target} is not a Source class"
        elif getattr(obj, "format", None) != entry.name:
            problem = f"its class says format {getattr(obj, 'format', None)!r}, its entry point {entry.name!r}"
        elif getattr(obj, "api_version", None) not in SUPPORTED_API_VERSIONS:
            speaks = ", ".join(str(v) for v in SUPPORTED_API_VERSIONS)
            problem = (
                f"it is written for source contract version {getattr(obj, 'api_version', None)!r}; "
                f"this xpipe-migrate speaks {speaks}"
            )
        elif not (isinstance(obj.Options, type) and issubclass(obj.Options, SourceOptions)):
            problem = "its Options is not a SourceOptions model"
        elif not (isinstance(obj.summary, str) and obj.summary.strip()):
            problem = "it has no summary"
        if problem is not None:
            entry.problem = f"{entry.origin}: {problem}; the plugin is not used"
        else:
            entry.cls = obj

    def usable(self) -> dict[str, type]:
        """Every format that loads, by name: the built-ins and the working plugins."""
        self.scan()
        out = {}
        for name, entry in self.entries.items():
            if entry.cls is None and entry.problem is None:
                self._load(entry)
            if entry.cls is not None:
                out[name] = entry.cls
        return out

    def problems(self) -> list[str]:
        """One line per plugin that is not used, for the ``formats`` command and run warnings."""
        if not self._scanned:
            return []
        self.usable()
        return [*self.refused, *dict.fromkeys(e.problem for e in self.entries.values() if e.problem)]


def _one_line(exc: BaseException) -> str:
    from migrator.escape import console

    text = str(exc).splitlines()[0] if str(exc) else ""
    text = text[:200] + ("…" if len(text) > 200 else "")
    return console(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)
