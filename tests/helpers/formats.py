"""The formats under test: whatever the registry holds, so a new format (or plugin) is covered by itself."""

from __future__ import annotations

import sys

from helpers.plugins import HOSTLIST
from migrator.sources import available_formats


def registered() -> dict[str, type]:
    return available_formats()


def file_formats() -> tuple[str, ...]:
    """Every registered format read from a local path (not a URL)."""
    return tuple(name for name, cls in registered().items() if not cls.remote)


def example_plugin_class() -> type:
    """The example plugin's class, imported from its source folder (the CLI tests install it with pip)."""
    if str(HOSTLIST) not in sys.path:
        sys.path.insert(0, str(HOSTLIST))
    from xpipe_migrate_hostlist import HostListSource

    return HostListSource


def contract_classes() -> dict[str, type]:
    """The classes the contract tests check: every registered format and the example plugin."""
    return {**registered(), "hostlist": example_plugin_class()}
