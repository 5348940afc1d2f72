"""The stages wired together: sources -> mapper -> planner. Used by the CLI, the demo and tests."""

from __future__ import annotations

from migrator.mapper.ssh_store import MapperOptions, MapResult, SshStoreMapper
from migrator.model import SourceResult
from migrator.plan.plan import Plan, Planner
from migrator.sources import read_sources
from migrator.xpipe.client import XPipeClient


def read_inventory(sources, **source_options) -> SourceResult:
    return read_sources(sources, **source_options)


def map_inventory(inventory: SourceResult, mapper_options: MapperOptions | None = None) -> MapResult:
    mapped = SshStoreMapper(mapper_options).map(inventory.hosts)
    mapped.state.held |= inventory.held
    return mapped


def plan_inventory(client: XPipeClient, inventory: SourceResult,
                   mapper_options: MapperOptions | None = None) -> Plan:
    options = mapper_options or MapperOptions()
    mapped = map_inventory(inventory, options)
    plan = Planner(client, root_category=options.root_category, name_clash=options.name_clash).plan(
        mapped.state, inventory.diagnostics + mapped.diagnostics)
    plan.hosts_read = len(inventory.hosts)
    plan.identities = mapped.identities.as_dict()
    return plan
