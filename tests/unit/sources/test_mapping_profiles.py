"""Mapping profiles: each shipped profile with its sample, the transforms, detection, and
``mapping check``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from helpers.paths import REPO_ROOT

from migrator.errors import ConfigError
from migrator.sources.tabular.csv import CsvSource
from migrator.sources.tabular.profiles import (
    ENV_MAPPINGS,
    load_profile,
    mappings_dir,
    match_header,
    parse_profile,
    profile_names,
)

ROOT = REPO_ROOT
SAMPLES = ROOT / "samples"


def read(path: Path, **options):
    return CsvSource(path, **options).read()


def by_name(result):
    return {h.name: h for h in result.hosts}


def detected(result) -> str:
    d = next(d for d in result.diagnostics if d.code == "mapping-detected")
    return d.message.split("'")[1]


def test_shipped_profiles_all_load_from_the_repository_folder():
    assert mappings_dir() == ROOT / "mappings"
    names = profile_names()
    assert {"generic", "mremoteng", "rdm", "royalts", "termius", "securecrt"} <= set(names)
    for name in names:
        profile = load_profile(name)
        assert profile.origin and "host" in profile.fields


def test_generic_profile_with_the_main_sample():
    result = read(SAMPLES / "servers.csv")
    assert detected(result) == "generic"
    assert len(result.hosts) == 15


def test_mremoteng_export():
    result = read(SAMPLES / "csv" / "mremoteng-export.csv")
    assert detected(result) == "mremoteng"
    hosts = by_name(result)
    assert set(hosts) == {"mr-web-01", "mr-web-02", "mr-db-01", "mr-bastion", "mr-old-switch"}
    # folders come from Container rows that follow their children; the root id never appears
    assert hosts["mr-web-01"].category == ["Production", "Web"]
    assert hosts["mr-db-01"].category == ["Production"]
    assert hosts["mr-bastion"].category == []
    assert hosts["mr-db-01"].port == 2222
    hop = hosts["mr-web-01"].jump[0]
    assert (hop.ref, hop.ref_key, hop.host) == ("mr-bastion", hosts["mr-bastion"].key, "bastion.example.org")
    assert hosts["mr-web-01"].key.endswith("#c0a80001-1111-4e6e-8f00-000000000001")
    assert hosts["mr-web-01"].credentials.password.get_secret_value() == "S4mple-mr-1"
    skipped = sorted(d.message for d in result.diagnostics if d.code == "skipped")
    assert skipped == [f"not imported: Protocol '{p}' is not SSH" for p in ("RDP", "Telnet", "VNC")]
    warnings = {(d.code, d.line) for d in result.diagnostics if d.level == "warning"}
    assert ("value-note", 11) in warnings  # SSH1
    assert ("column-check", 3) in warnings  # PuttySession other than Default Settings
    assert not result.errors


def test_termius_csv():
    result = read(SAMPLES / "csv" / "termius.csv")
    assert detected(result) == "termius"
    hosts = by_name(result)
    assert set(hosts) == {"tm-web-01", "tm-web-02", "tm-db-01", "tm-pi", "203.0.113.9"}
    assert hosts["tm-web-01"].tags == ["web", "prod"]
    assert hosts["tm-web-01"].category == ["Production", "Web"]
    assert hosts["tm-db-01"].port == 2222 and hosts["tm-db-01"].credentials.password is None
    assert hosts["203.0.113.9"].port == 22  # no label: named after the address; no port: 22
    assert [d.line for d in result.diagnostics if d.code == "skipped"] == [6]


def test_rdm_csv():
    result = read(SAMPLES / "csv" / "rdm.csv")
    assert detected(result) == "rdm"
    hosts = by_name(result)
    assert set(hosts) == {"rdm-web-01", "rdm-web-02", "rdm-backup"}
    assert hosts["rdm-web-01"].category == ["Production", "Web"]
    assert hosts["rdm-web-01"].description == "Web server, node 1"
    assert hosts["rdm-backup"].port == 2022 and hosts["rdm-backup"].user == "backup"
    assert any(d.code == "skipped" and "RDP" in d.message for d in result.diagnostics)


def test_royalts_csv():
    result = read(SAMPLES / "csv" / "royalts.csv")
    assert detected(result) == "royalts"
    hosts = by_name(result)
    assert hosts["rts-web-01"].category == ["Connections", "Production", "Web"]
    key = Path(hosts["rts-web-02"].credentials.key_files[0])
    assert key == (SAMPLES / "keys" / "csv_demo_ed25519").resolve() and key.is_file()
    assert hosts["rts-db-01"].port == 2222
    assert any(d.code == "column-check" and "DBA credential" in d.message for d in result.diagnostics)


def test_securecrt_import_script_csv():
    result = read(SAMPLES / "csv" / "securecrt.csv")
    assert detected(result) == "securecrt"
    hosts = by_name(result)
    assert set(hosts) == {"scrt-core-01", "scrt-core-02", "192.0.2.63", "scrt-old-fw"}
    # several description columns are joined, one per line
    assert hosts["scrt-core-01"].description == "Core router 1\nRack A1"
    assert hosts["scrt-core-01"].category == ["Network", "Core"]
    # "protocol=SSH2" in the header is the default for blank cells; telnet rows are skipped
    assert [d.line for d in result.diagnostics if d.code == "skipped"] == [5]
    assert any(d.code == "value-note" and d.line == 6 for d in result.diagnostics)


# -- transforms, with profiles written by the tests -------------------------------------------------


def write_profile(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(text)
    return path


def test_transforms_regex_folder_joins_value_maps_fixed_values_and_booleans(tmp_path):
    profile = write_profile(
        tmp_path,
        "cmdb",
        """
[profile]
title = "CMDB export"
[detect]
headers = ["CI Name", "IP Address"]
[fields.name]
columns = ["CI Name"]
[fields.host]
columns = ["IP Address", "FQDN"]
[fields.user]
value = "svc-import"
[fields.folder]
columns = ["Site"]
regex = '^(?P<folder>[a-z]+)-'
regex_from = "name"
prefix = "CMDB"
[fields.description]
columns = ["Owner", "OS"]
join = true
joiner = " | "
template = "{column}: {value}"
[fields.tags]
columns = ["Environment", "Role"]
join = true
template = "{column}={value}"
[fields.protocol]
columns = ["Access"]
map = { "SSH" = "ssh", "SSH (key)" = "ssh", "RDP" = "rdp" }
unmapped = "error"
[fields.enabled]
columns = ["In Service"]
""",
    )
    data = tmp_path / "cmdb.csv"
    data.write_text(
        "ci name,  IP-ADDRESS ,Site,Owner,OS,Environment,Role,Access,In Service\n"
        "fra-web-1,192.0.2.1,,Team A,Debian 12,prod,web,SSH,yes\n"
        "ber-db-1,192.0.2.2,Berlin/DC2,Team B,,prod,db,ssh (KEY),1\n"
        "nyc-win-1,192.0.2.3,,Team C,Windows,prod,app,RDP,yes\n"
        "old-1,192.0.2.4,,Team D,,old,app,SSH,no\n"
        "odd-1,192.0.2.5,,Team E,,dev,app,Mosh,yes\n"
        "bad-1,192.0.2.6,,Team F,,dev,app,SSH,perhaps\n"
    )
    result = read(data, mapping=str(profile))
    hosts = by_name(result)
    assert set(hosts) == {"fra-web-1", "ber-db-1"}
    fra, ber = hosts["fra-web-1"], hosts["ber-db-1"]
    assert fra.category == ["CMDB", "fra"]  # from the name by regex
    assert ber.category == ["CMDB", "Berlin", "DC2"]  # the column wins over the regex
    assert fra.description == "Owner: Team A | OS: Debian 12"
    assert fra.tags == ["Environment=prod", "Role=web"]
    assert fra.user == "svc-import" and ber.user == "svc-import"
    skipped = {d.line: d.message for d in result.diagnostics if d.code == "skipped"}
    assert set(skipped) == {4, 5}  # RDP, and "In Service = no"
    errors = {d.line: (d.field, d.message) for d in result.errors}
    assert errors[6][0] == "Access" and "'Mosh' is not one of" in errors[6][1]
    assert errors[7][0] == "In Service"


def test_mappings_folder_can_be_overridden_and_ambiguity_asks_for_a_mapping(tmp_path, monkeypatch):
    folder = tmp_path / "profiles"
    for name, user_col in (("alpha", "owner"), ("beta", "login")):
        write_profile(
            folder,
            name,
            f"""
[profile]
title = "{name}"
[detect]
headers = ["server", "owner", "login"]
[fields.host]
columns = ["server"]
[fields.user]
columns = ["{user_col}"]
""",
        )
    monkeypatch.setenv(ENV_MAPPINGS, str(folder))
    assert profile_names() == ["alpha", "beta"]
    data = tmp_path / "x.csv"
    data.write_text("server,owner,login\nx.example.com,alice,root\n")
    with pytest.raises(ConfigError, match="--mapping"):
        read(data)
    assert [h.user for h in read(data, mapping="beta").hosts] == ["root"]
    assert [h.user for h in read(data, mapping="alpha").hosts] == ["alice"]


def test_header_aliases_ignore_case_spaces_and_underscores():
    profile = load_profile("generic")
    match = match_header(profile, ["  Display Name", "HOST_NAME", "Key File", "ssh-port"])
    assert match.columns == {"name": [0], "host": [1], "key_file": [2], "port": [3]}


@pytest.mark.parametrize(
    "text, problem",
    [
        ('[fields.host]\ncolumns=["h"]\n[fields.colour]\ncolumns=["c"]', "unknown field"),
        ('[detect]\nheaders=["h"]\n[fields.user]\ncolumns=["u"]', "does not map the host"),
        (
            '[detect]\nheaders=["h"]\n[fields.host]\ncolumns=["h"]\n[fields.folder]\nregex="("\nregex_from="name"',
            "regex does not compile",
        ),
        ('[detect]\nheaders=["h"]\n[fields.host]\ncolumns=["h"]\nunmapped="drop"', "unmapped must be"),
        ('[fields.host]\ncolumns=["h"]', "[detect] headers"),
        (
            '[detect]\nheaders=["h"]\n[fields.host]\ncolumns=["h"]\n[fields.tags]\ncolumns=["t"]\ntemplate="{x}{value}"',
            "template may only use",
        ),
    ],
)
def test_invalid_profiles_are_config_errors(text, problem):
    from migrator.sources.tabular.profiles import tomllib

    with pytest.raises(ConfigError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        parse_profile(tomllib.loads(text), name="broken")


def test_unknown_profile_name_lists_the_known_ones():
    with pytest.raises(ConfigError, match="generic"):
        load_profile("no-such-profile")


# -- mapping check ----------------------------------------------------------------------------------


def run_check(capsys, *argv) -> tuple[int, str]:
    from migrator.cli import mapping_check

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    mapping_check.register(sub)
    args = parser.parse_args(["mapping", "check", *argv])
    rc = args.func(args)
    return rc, capsys.readouterr().out


def test_mapping_check_shows_columns_preview_and_no_secrets(capsys):
    rc, out = run_check(capsys, str(SAMPLES / "servers.csv"), "--rows", "20")
    assert rc == 0
    assert "profile 'generic' (detected" in out
    assert "missing required fields: none" in out
    assert "csv-web-01" in out and "REJECTED: port '22x' is not a number" in out
    assert "<redacted>" in out and "S4mple" not in out


def test_mapping_check_json_and_missing_required_fields(capsys):
    termius = str(SAMPLES / "csv" / "termius.csv")
    rc, out = run_check(capsys, termius, "--mapping", "generic", "--format", "json")
    report = json.loads(out)
    assert rc == 1 and report["missing_required"] == ["host"]
    assert {c["column"]: c["field"] for c in report["unmatched"][0]["columns"]}["Label"] == "name"
    mremoteng = str(SAMPLES / "csv" / "mremoteng-export.csv")
    rc, out = run_check(capsys, mremoteng, "--format", "json", "--rows", "3")
    report = json.loads(out)
    assert rc == 0 and report["tables"][0]["profile"] == "mremoteng"
    assert [p["status"] for p in report["preview"]] == ["import", "import", "folder"]
    assert "S4mple" not in out
    assert "Icon" in report["tables"][0]["unused"]


def test_mapping_check_on_a_workbook_with_a_notes_sheet(capsys):
    rc, out = run_check(capsys, str(SAMPLES / "excel" / "inventory.xlsx"), "--rows", "10")
    assert rc == 0  # the Notes sheet has no host column, the Servers sheet is fine
    assert "sheet 'Servers', header on line 3" in out
    assert "Servers:9   REJECTED" in out and "date" in out
    rc, out = run_check(capsys, str(SAMPLES / "excel" / "inventory.xlsx"), "--sheet", "Notes")
    assert rc == 1 and "missing required fields: host" in out


def test_mremoteng_rejects_are_written_back_unquoted_with_semicolons(tmp_path):
    from migrator.sources.tabular.rejects import write_rejects

    lines = (SAMPLES / "csv" / "mremoteng-export.csv").read_bytes().decode("utf-8").split("\r\n")
    bad = lines[1].replace(";web-01.example.org;22;", ";web-01.example.org;twenty-two;", 1)
    path = tmp_path / "export.csv"
    path.write_text("\r\n".join([lines[0], bad, *lines[2:]]), newline="")
    result = read(path)
    assert [(r.line, r.values[0]) for r in result.rejects] == [(2, "mr-web-01")]
    out = tmp_path / "rejects.csv"
    write_rejects(result.rejects, out)
    written = out.read_bytes().decode("utf-8").split("\r\n")
    assert written[1] == lines[0]
    row = written[3].split(";")
    assert row[0] == "mr-web-01" and row[8] == "" and row[11] == "twenty-two" and written[3].endswith(";")
    assert '"' not in written[3] and "S4mple" not in out.read_text()
