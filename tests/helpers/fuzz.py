"""What every source's fuzz test asserts about a result (the ``workdir`` fixture is in conftest)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, settings

from migrator.model import Host, SourceResult

FUZZ = settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def check_source(source_cls, path: Path, **options) -> SourceResult:
    """Read ``path``: it must give well-formed hosts and located diagnostics, never an exception."""
    result = source_cls(path, **options).read()
    assert isinstance(result, SourceResult)
    assert all(isinstance(h, Host) for h in result.hosts)
    keys = {h.key for h in result.hosts}
    assert len(keys) == len(result.hosts)
    assert all(d.file and d.message for d in result.diagnostics)
    assert all(hop.ref_key is None or hop.ref_key in keys for host in result.hosts for hop in host.jump)
    return result


def write(workdir: Path, name: str, data: bytes) -> Path:
    path = workdir / name
    path.write_bytes(data)
    return path
