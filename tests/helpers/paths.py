"""The repository's folders, for tests that read its samples and reference data."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = REPO_ROOT / "samples"
TEST_DATA = REPO_ROOT / "tests" / "data"
