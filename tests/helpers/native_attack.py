"""Shared parts of the native-format attack tests: the bundled samples with the secrets that open them,
and the one promise every hostile read must keep (``read_or_one_line``)."""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers.paths import REPO_ROOT
from migrator.errors import InputError
from migrator.sources import source_class
from migrator.sources.secrets import PASSWORD_ENV

SAMPLES = REPO_ROOT / "samples"
HUGE = "9" * 5000

#: (format, sample path under samples/, the secret that opens it or None).
NATIVE_SAMPLES = [
    ("mremoteng", "mremoteng/confCons.xml", None),
    ("mremoteng", "mremoteng/confCons-v2.5.xml", None),
    ("securecrt", "securecrt/vandyke-config", "securecrt/config-passphrase.txt"),
    ("securecrt", "securecrt/export.xml", "securecrt/config-passphrase.txt"),
    ("winscp", "winscp/WinSCP.ini", None),
    ("royalts", "royalts/lab.rtsz", None),
    ("royalts", "royalts/dynamic.rjson", None),
    ("rdm", "rdm/export.rdm", None),
    ("asbru", "asbru/asbru.yml", None),
    ("remmina", "remmina", None),
    ("tabby", "tabby/config.yaml", None),
    ("windows_terminal", "windows_terminal/settings.json", None),
]


def copy_sample(tmp_path: Path, rel: str) -> Path:
    source = SAMPLES / rel
    target = tmp_path / source.name
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copy(source, target)
    return target


def use_secret(monkeypatch, secret_file: str | None) -> None:
    if secret_file is not None:
        text = (SAMPLES / secret_file).read_text(encoding="utf-8").rstrip("\r\n")
        monkeypatch.setenv(PASSWORD_ENV, text)


def data_files(location: Path) -> list[Path]:
    files = sorted(p for p in location.rglob("*") if p.is_file()) if location.is_dir() else [location]
    return [f for f in files if f.suffix not in (".md", ".txt")]


def read_or_one_line(fmt: str, location: Path, *, forbidden: tuple[str, ...] = ()):
    """The result, or None after an ``InputError`` of one line; anything else fails the test."""
    try:
        result = source_class(fmt)(location).read()
    except InputError as exc:
        message = str(exc)
        assert message.strip() and "\n" not in message, message
        assert len(message) < 1000, message[:200]
        assert not any(f in message for f in forbidden), message[:200]
        return None
    for d in result.diagnostics:
        assert d.file and d.message and "\n" not in d.message, d
        assert len(d.message) < 1000, d.message[:200]
        assert not any(f in d.message for f in forbidden), d.message[:200]
    keys = [h.key for h in result.hosts]
    assert len(set(keys)) == len(keys)
    return result


#: The XML formats and a sample of each.
XML_FORMATS = [
    ("mremoteng", "mremoteng/confCons.xml"),
    ("securecrt", "securecrt/export.xml"),
    ("royalts", "royalts/lab.rtsz"),
    ("rdm", "rdm/export.rdm"),
]
