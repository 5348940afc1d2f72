"""How ``read_inventory`` runs a source: with the cyclic garbage collector paused, and restored after."""

from __future__ import annotations

import gc

import pytest

from migrator.errors import InputError
from migrator.manager import UNREADABLE, SourceInput, read_inventory
from migrator.sources.tabular.csv import CsvSource


@pytest.fixture
def inventory(tmp_path):
    path = tmp_path / "hosts.csv"
    path.write_text("name,host\nweb1,web1.example.net\n", encoding="utf-8")
    return path


@pytest.fixture
def restore_gc():
    enabled = gc.isenabled()
    yield
    (gc.enable if enabled else gc.disable)()


def test_the_collector_is_paused_while_a_source_reads_and_back_after(inventory, monkeypatch, restore_gc):
    seen = []
    original = CsvSource.read

    def read(self):
        seen.append(gc.isenabled())
        return original(self)

    monkeypatch.setattr(CsvSource, "read", read)
    gc.enable()
    inv = read_inventory([SourceInput(str(inventory)), SourceInput(f"csv:{inventory}", key_location="other")])
    assert seen == [False, False] and gc.isenabled()
    assert [h.name for h in inv.hosts] == ["web1", "web1"]


def test_a_failing_read_restores_the_collector(inventory, monkeypatch, restore_gc):
    def read(self):
        raise InputError(f"{self.display_path}: cannot read: broken")

    monkeypatch.setattr(CsvSource, "read", read)
    gc.enable()
    with pytest.raises(InputError):
        read_inventory([SourceInput(str(inventory))])
    assert gc.isenabled()


def test_a_caller_that_paused_the_collector_keeps_it_paused(inventory, restore_gc):
    gc.disable()
    inv = read_inventory([SourceInput(str(inventory)), SourceInput(str(inventory.parent / "missing.csv"))])
    assert [h.name for h in inv.hosts] == ["web1"] and [d.code for d in inv.errors] == [UNREADABLE]
    assert not gc.isenabled()
