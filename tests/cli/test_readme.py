"""The README opens with the two commands CI runs; CI must run exactly those."""

from __future__ import annotations

import re

from helpers.paths import REPO_ROOT

ROOT = REPO_ROOT


def test_ci_runs_the_readme_commands_verbatim():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.S)
    first_two = [b.strip() for b in blocks[:2]]
    assert "xpipe-migrate demo" in first_two[0] and "pytest" in first_two[1]
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    for command in first_two:
        assert command in ci, f"{command!r} is not run by .ci/run"


def _format_table(readme: str) -> dict[str, set[str]]:
    """The README's "Source formats and their options" table: format -> the option names it lists."""
    section = readme.split("### Source formats and their options", 1)[1]
    rows = {}
    for line in section.splitlines():
        if not line.startswith("| `"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0].strip("`")] = set(re.findall(r"`([^`]+)`", cells[-1]))
    return rows


def test_the_readme_format_table_matches_the_formats_command():
    import json
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "migrator", "formats", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    listed = {f["name"]: {o["name"] for o in f["options"]} for f in json.loads(proc.stdout)["formats"]}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = _format_table(readme)
    assert set(table) == set(listed), "the README's format table and `formats` list different formats"
    sentence = readme.split("with FORMAT one", 1)[1].split("`xo:URL`", 1)[0]
    assert set(re.findall(r"`([a-z_]+)`", sentence)) == set(listed) - {"xo"}, "the README's FORMAT list is stale"
    for name, options in listed.items():
        assert table[name] == options, f"{name}: README lists {sorted(table[name])}, the model has {sorted(options)}"
