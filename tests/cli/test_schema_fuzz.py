"""Wrong types and values in every schema a user writes (profiles, job files, CLI options) give one
clear error, never an ``internal error``.

The generators put a value of every TOML type at every key the schemas know, and random keys, so a
new key or a new code path is exercised without a hand-written example.
"""

from __future__ import annotations

import datetime
import subprocess
import sys

import pytest
from helpers.paths import REPO_ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.errors import MigratorError
from migrator.sources.tabular.profiles import parse_profile
from migrator.sync.job import parse_job

REPO = REPO_ROOT

#: What TOML can hold (it has no null).
TOML_VALUES = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.lists(st.one_of(st.integers(), st.text(max_size=5)), max_size=3),
    st.dictionaries(st.text(max_size=6), st.one_of(st.integers(), st.text(max_size=5)), max_size=3),
    st.just(datetime.date(2026, 1, 1)),
)

PROFILE = {
    "profile": {"title": "t", "origin": "o", "delimiter": ";", "quoting": "minimal"},
    "detect": {"headers": ["Host"], "known": ["X"]},
    "fields": {
        "host": {"columns": ["Host"]},
        "folder": {"columns": ["Site"], "separators": ["/"]},
        "name": {"columns": ["Name"], "fallback": "host"},
    },
    "checks": [{"column": "X", "unless": [""], "message": "m"}],
}

JOB = {
    "name": "t",
    "source": [
        {
            "path": "servers.csv",
            "format": "csv",
            "mapping": "generic",
            "options": {"encoding": "utf-8"},
            "filter": {"include_tags": ["a"]},
        }
    ],
    "target": {"url": "embedded", "timeout": 5.0},
    "import": {"root_category": "Imported", "identity_threshold": 2, "identity_name": "{user}"},
    "prune": {"enabled": False, "max_percent": 30.0, "quarantine_days": 7},
    "reports": {"markdown": "out/plan.md"},
}


def _paths(doc, prefix=()):
    """Every key path of a nested document (through lists of tables too)."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, (*prefix, i))


def _replace(doc, path, value):
    import copy

    out = copy.deepcopy(doc)
    node = out
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return out


def _mutations(base):
    paths = list(_paths(base))
    return st.tuples(st.sampled_from(paths), TOML_VALUES).map(lambda pv: _replace(base, pv[0], pv[1]))


SCHEMA = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)


@SCHEMA
@given(doc=_mutations(PROFILE))
def test_profiles_with_wrong_types_fail_with_a_config_error(doc):
    try:
        parse_profile(doc, name="fuzz")
    except MigratorError:
        pass


@SCHEMA
@given(doc=_mutations(JOB))
def test_jobs_with_wrong_types_fail_with_a_config_error(doc, tmp_path_factory):
    folder = tmp_path_factory.mktemp("job")
    (folder / "servers.csv").write_text("host\nweb\n")
    try:
        job = parse_job(doc, folder / "job.toml")
        job.to_run(with_auth=False)
    except MigratorError:
        pass


NUMERIC_FLAGS = [
    ("plan", "--timeout"),
    ("plan", "--first-timeout"),
    ("plan", "--identity-threshold"),
    ("audit", "--probe-timeout"),
    ("audit", "--probe-concurrency"),
    ("simulator", "--port"),
    ("simulator", "--latency-ms"),
    ("mapping", "--rows"),
]
BAD_VALUES = ["0", "-1", "nan", "inf", "1e999", "x", "", "70000", "0x10", "1_000", "\u0663", " 5", "1.5"]
#: The values of BAD_VALUES that a flag rightly accepts (then the command runs normally).
ACCEPTED = {
    "--rows": {"0", "70000"},
    "--latency-ms": {"0", "70000", "1.5"},
    "--identity-threshold": {"70000"},
    "--probe-concurrency": {"70000"},
    "--timeout": {"70000", "1.5"},
    "--first-timeout": {"70000", "1.5"},
    "--probe-timeout": {"70000", "1.5"},
}


@pytest.mark.parametrize(("command", "flag"), NUMERIC_FLAGS)
def test_cli_numeric_flags_reject_bad_values_in_one_line(command, flag, tmp_path):
    csv = tmp_path / "a.csv"
    csv.write_text("host\nweb\n")
    argv = {
        "plan": ["plan", str(csv), "--target", "embedded"],
        "audit": ["audit", str(csv), "--target", "embedded"],
        "simulator": ["simulator"],
        "mapping": ["mapping", "check", str(csv)],
    }[command]
    for value in BAD_VALUES:
        if value in ACCEPTED.get(flag, ()):
            continue
        proc = subprocess.run(
            [sys.executable, "-m", "migrator", "--no-progress", *argv, f"{flag}={value}"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
        assert proc.returncode == 1, (flag, value, proc.returncode, proc.stderr)
        assert flag in proc.stderr and "internal error" not in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "target",
    [
        "localhost:21721",
        "http://127.0.0.1:99999",
        "ftp://x",
        "http://",
        "http://[::1",
        "http://u:p@127.0.0.1:1",
        " ",
        "http://127.0.0.1:0",
    ],
)
def test_cli_bad_targets_are_one_line_errors(target, tmp_path):
    csv = tmp_path / "a.csv"
    csv.write_text("host\nweb\n")
    proc = subprocess.run(
        [sys.executable, "-m", "migrator", "plan", str(csv), "--target", target],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.count("\n") == 1 and "--target" in proc.stderr and "internal error" not in proc.stderr
    assert "u:p" not in proc.stderr
