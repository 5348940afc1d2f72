"""The bundled samples/royalts and samples/rdm hold what their README.md files say."""

from __future__ import annotations

from helpers import royalts as gen
from helpers.paths import REPO_ROOT

from migrator.sources.rdm.source import RdmSource
from migrator.sources.royalts.source import RoyalTsSource
from migrator.sources.secrets import PASSWORD_ENV

SAMPLES = REPO_ROOT / "samples"


def summary(result):
    return {
        h.name: (
            h.address,
            h.port,
            h.user,
            h.credentials.password.get_secret_value() if h.credentials.password else None,
            "/".join(h.category),
            [j.ref for j in h.jump],
        )
        for h in result.hosts
    }


def test_datacenter(tmp_path, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, gen.SAMPLE_PASSWORD)
    result = RoyalTsSource(SAMPLES / "royalts" / "datacenter.rtsz").read()
    assert summary(result) == {
        "bastion": ("bastion.example.net", 22, "jump", "jump-Secret-2", "Gateways", []),
        "web-01": ("10.20.0.11", 22, "ops", "ops-Secret-1", "Prod/Web", ["bastion"]),
        "web-02": ("10.20.0.12", 22, "ops", "ops-Secret-1", "Prod/Web", ["bastion"]),
        "db-01": ("10.20.1.5", 2222, "postgres", "pg-Secret-3", "Prod/DB", ["bastion"]),
    }
    assert sorted(d.code for d in result.diagnostics) == ["in-trash", "not-ssh", "not-ssh"]


def test_lab_and_dynamic(monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    lab = RoyalTsSource(SAMPLES / "royalts" / "lab.rtsz").read()
    assert summary(lab) == {"lab-01": ("lab01.example.net", 22, "pi", "lab-Secret-4", "", [])}
    assert lab.hosts[0].credentials.key_files == ["~/.ssh/id_lab"]
    dynamic = RoyalTsSource(SAMPLES / "royalts" / "dynamic.rjson").read()
    assert summary(dynamic) == {
        "edge": ("edge.example.net", 22, "svc", "svc-Secret-5", "", []),
        "app-01": ("172.16.0.10", 22, "svc", "svc-Secret-5", "Cloud", ["edge"]),
        "app-02": ("172.16.0.11", 22, "batch", "batch-Secret-6", "Cloud/Batch", []),
    }


def test_rdm_export():
    result = RdmSource(SAMPLES / "rdm" / "export.rdm").read()
    assert summary(result) == {
        "web-01": ("10.30.0.11", 22, "deploy", "rdm-Secret-1", "Linux/Web", []),
        "web-02": ("10.30.0.12", 2222, "deploy", "rdm-Secret-1", "Linux/Web", []),
        "db-01": ("10.30.1.5", 22, "postgres", None, "Linux", []),
    }
    assert result.hosts[2].credentials.key_files == ["C:\\Users\\ops\\.ssh\\id_db"]
    assert [d.code for d in result.diagnostics] == ["not-ssh", "not-ssh"]
