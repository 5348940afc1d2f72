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
