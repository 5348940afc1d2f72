"""The committed mRemoteNG samples (samples/mremoteng/README.md), every host and field."""

from __future__ import annotations

import pytest
from helpers.mremoteng_samples import PROTECTED_MASTER
from helpers.paths import SAMPLES

from migrator.sources import detect_format
from migrator.sources.mremoteng.source import MremotengSource
from migrator.sources.secrets import PASSWORD_ENV

FOLDER = SAMPLES / "mremoteng"
ID = "6f1c2a10-0b7e-4a43-9d51-0c6b9e3a000"


@pytest.fixture(autouse=True)
def no_env_secret(monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)


def fields(result) -> dict[str, tuple]:
    return {
        h.name: (
            h.key.split("#", 1)[1],
            h.address,
            h.port,
            h.user,
            tuple(h.category),
            h.credentials.password.get_secret_value() if h.credentials.password else None,
            tuple(h.credentials.key_files),
            tuple((j.host, j.port, j.user, j.ref, j.ref_key and j.ref_key.split("#", 1)[1]) for j in h.jump),
            tuple(h.ssh_options),
            h.description,
        )
        for h in result.hosts
    }


BASTION_HOP = (("bastion.example.com", 22, "jump", "bastion-prod", ID + "5"),)
MAIN = {
    "web-01": (
        ID + "1",
        "web-01.prod.example.com",
        22,
        "ops",
        ("Production", "Web"),
        "Prod-Ops-2024!",
        (),
        BASTION_HOP,
        (),
        "Frontend, behind the bastion",
    ),
    "web-02": (
        ID + "2",
        "web-02.prod.example.com",
        2222,
        "ops",
        ("Production", "Web"),
        "Prod-Ops-2024!",
        (),
        BASTION_HOP,
        (),
        None,
    ),
    "db-01": (
        ID + "3",
        "db-01.prod.example.com",
        22,
        "postgres",
        ("Production", "Databases"),
        "pg-s\u00e9cret 'quoted' %s",
        (r"C:\Users\ops\.ssh\db_ed25519",),
        BASTION_HOP,
        (("ForwardAgent", "yes"),),
        None,
    ),
    "bastion-prod": (ID + "5", "bastion.example.com", 22, "jump", ("Production",), "Bastion-Jump-77", (), (), (), None),
    "legacy-box": (ID + "7", "10.20.0.9", 22, "root", ("Lab",), "old-but-gold", (), (), (), None),
    "jenkins": (ID + "9", "ci.example.com", 22, "jenkins", (), None, (), (), (), None),
}
REPORTED = {
    ("warning", "not-ssh", "Production/Databases/db-reporting"),
    ("warning", "not-ssh", "Lab/lab-switch"),
    ("warning", "not-ssh", "Lab/lab-vnc"),
    ("warning", "ssh1", "Lab/legacy-box"),
    ("warning", "putty-session", "jenkins"),
}


def test_main_sample_every_host_and_field():
    result = MremotengSource(FOLDER / "confCons.xml").read()
    assert fields(result) == MAIN and not result.held and not result.errors
    assert REPORTED <= {(d.level, d.code, d.entry) for d in result.diagnostics}


def test_protected_sample_reads_the_same_with_its_master_password(tmp_path):
    secret = tmp_path / "master"
    secret.write_text(PROTECTED_MASTER + "\n", encoding="utf-8")
    result = MremotengSource(FOLDER / "confCons-protected.xml", password_file=str(secret)).read()
    assert fields(result) == MAIN and not result.errors


def test_legacy_sample_every_host_and_field():
    result = MremotengSource(FOLDER / "confCons-v2.5.xml").read()
    assert fields(result) == {
        "fileserver": (
            "fileserver",
            "files.office.example.com",
            22,
            "admin",
            ("Office",),
            "Files!2015",
            (),
            (),
            (),
            None,
        ),
        "printer-gw": ("printer-gw", "192.168.1.20", 2222, "office-admin", ("Office",), None, (), (), (), None),
    }
    assert ("warning", "not-ssh", "Office/reception-pc") in {(d.level, d.code, d.entry) for d in result.diagnostics}


@pytest.mark.parametrize("name", ["confCons.xml", "confCons-protected.xml", "confCons-v2.5.xml"])
def test_samples_are_detected(name):
    assert detect_format(FOLDER / name) == "mremoteng"
