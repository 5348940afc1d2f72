"""The ansible source: the shipped samples host by host, each mapping rule on small real files, and
hostile inputs (truncated, huge, binary, deeply nested, vault, Jinja) that must give located
diagnostics, never a crash and never a secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.paths import REPO_ROOT
from helpers.records import record_json, record_text

from migrator.errors import ConfigError
from migrator.manager import read_sources
from migrator.sources import detect_format, open_source
from migrator.sources.ansible import AnsibleSource
from migrator.sources.ansible import source as source_module
from migrator.sources.ansible.yaml_subset import parse_yaml

ROOT = REPO_ROOT
SAMPLES = ROOT / "samples" / "ansible"
VAULT_LINE = "62313365396662343061393464336163383764373764613633653634306231386433626436623361"


def read(path: Path, **options):
    return AnsibleSource(path, **options).read()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def by_name(result) -> dict:
    return {h.name: h for h in result.hosts}


def diag_set(result) -> set[tuple]:
    return {(d.level, d.code, d.line, d.entry, d.field) for d in result.diagnostics}


def everything_printed(result) -> str:
    return "\n".join(
        [
            *(str(d) for d in result.diagnostics),
            *(record_text(h) for h in result.hosts),
            *(repr(h) for h in result.hosts),
        ]
    )


# ---- the samples -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["inventory.ini", "inventory.yml"])
def test_samples_map_every_field(name):
    path = SAMPLES / name
    result = read(path)
    hosts = by_name(result)
    assert set(hosts) == {
        "mgmt.example.net",
        "bastion.example.net",
        "web01.example.net",
        "web02.example.net",
        "web03.example.net",
        "web-canary.example.net",
        "db1.example.net",
        "db2.example.net",
        "db3.example.net",
        "2001:db8::50",
    }
    web1 = hosts["web01.example.net"]
    assert web1.key == f"ansible:{path.as_posix()}#web01.example.net"
    assert (web1.address, web1.port, web1.user, web1.category, web1.tags) == (
        "web01.example.net",
        22,
        "deploy",
        ["prod", "web"],
        ["monitoring"],
    )
    bastion = hosts["bastion.example.net"]
    assert [record_json(h) for h in web1.jump] == [
        {
            "host": "bastion.example.net",
            "port": 2222,
            "user": "jump",
            "ref": "bastion.example.net",
            "ref_key": bastion.key,
        }
    ]
    canary = hosts["web-canary.example.net"]
    assert (canary.port, canary.user) == (2201, "canary")
    db1 = hosts["db1.example.net"]
    assert (db1.address, db1.user, db1.credentials.key_files, db1.category) == (
        "10.20.0.11",
        "postgres",
        ["~/.ssh/db_ed25519"],
        ["prod", "db"],
    )
    v6 = hosts["2001:db8::50"]
    assert (v6.address, v6.port, v6.user, v6.category) == ("2001:db8::50", 2222, "prom", ["monitoring"])
    assert bastion.category == ["bastion"] and hosts["mgmt.example.net"].category == []
    assert all(h.source.format == "ansible" and h.source.file == path.as_posix() for h in result.hosts)
    skipped = {(d.entry, d.code) for d in result.diagnostics}
    assert ("win1.example.net", "not-ssh") in skipped
    assert VAULT_LINE not in everything_printed(result)


def test_ini_sample_reads_passwords_and_the_proxycommand_jump():
    hosts = by_name(read(SAMPLES / "inventory.ini"))
    assert hosts["db2.example.net"].credentials.password.get_secret_value() == "Sample-Db2-Password"
    assert "Sample-Db2-Password" not in repr(hosts["db2.example.net"])
    db3 = hosts["db3.example.net"]
    assert [(h.host, h.port, h.user) for h in db3.jump] == [("bastion.example.net", None, "ops")]
    assert db3.proxy_command is None
    assert hosts["mgmt.example.net"].user == "admin"


def test_yaml_sample_reports_vault_and_jinja_and_keeps_the_host():
    path = SAMPLES / "inventory.yml"
    result = read(path)
    hosts = by_name(result)
    assert hosts["db2.example.net"].credentials.password is None
    assert hosts["db3.example.net"].address == "db3.example.net"
    assert {
        ("warning", "vault-value", 35, "db2.example.net", "ansible_password"),
        ("warning", "jinja-value", 41, "db3.example.net", "ansible_host"),
        ("warning", "not-ssh", 50, "win1.example.net", "ansible_connection"),
    } <= diag_set(result)
    assert "lookup(" not in everything_printed(result)


def test_samples_are_detected():
    assert detect_format(SAMPLES / "inventory.ini") == "ansible"
    assert detect_format(SAMPLES / "inventory.yml") == "ansible"


# ---- rules -----------------------------------------------------------------------------------------


def test_moving_a_host_to_another_group_keeps_its_key(tmp_path):
    a = read(write(tmp_path, "hosts", "[web]\nh1 ansible_host=10.0.0.1\n[db]\nh2\n"))
    b = read(write(tmp_path, "hosts", "[db]\nh2\nh1 ansible_host=10.0.0.1\n[web]\n"))
    assert by_name(a)["h1"].key == by_name(b)["h1"].key
    assert by_name(a)["h1"].category == ["web"] and by_name(b)["h1"].category == ["db"]


def test_folder_is_the_first_group_path_and_the_other_groups_are_tags(tmp_path):
    text = "[edge]\nh1\n[web]\nh1\nh2\n[eu:children]\nweb\n[prod:children]\neu\n"
    hosts = by_name(read(write(tmp_path, "inv.ini", text)))
    assert (hosts["h1"].category, hosts["h1"].tags) == (["edge"], ["web", "eu", "prod"])
    assert (hosts["h2"].category, hosts["h2"].tags) == (["prod", "eu", "web"], [])


def test_ssh_variants_win_and_host_vars_beat_groups(tmp_path):
    hosts = by_name(read(ROOT / "tests" / "data" / "ansible" / "valid-precedence.ini"))
    solo, shared = hosts["solo.example.net"], hosts["shared.example.net"]
    assert (solo.address, solo.user, solo.port) == ("10.1.1.1", "ssh_wins", 2022)
    assert (shared.user, shared.port) == ("from_parent", 2200)


@pytest.mark.parametrize(
    "args, jump, proxy",
    [
        (
            "-J a.example.net,ops@b.example.net:2200",
            [("a.example.net", None, None), ("b.example.net", 2200, "ops")],
            None,
        ),
        ("-o ProxyJump=ssh://u@[2001:db8::1]:22", [("2001:db8::1", 22, "u")], None),
        ("-oProxyCommand='ssh -p 2201 -l ops -W [%h]:%p gw.example.net'", [("gw.example.net", 2201, "ops")], None),
        ("-o 'ProxyCommand ssh gw.example.net nc %h %p'", [("gw.example.net", None, None)], None),
        ("-o ProxyCommand='nc -X connect -x proxy:8080 %h %p'", [], "nc -X connect -x proxy:8080 %h %p"),
        ("-o ProxyJump=first.example.net -J second.example.net", [("first.example.net", None, None)], None),
        ("-o ProxyJump=none", [], None),
    ],
)
def test_jump_routes_from_ssh_args(tmp_path, args, jump, proxy):
    path = write(tmp_path, "inv.yml", f'all:\n  hosts:\n    h1:\n      ansible_ssh_common_args: "{args}"\n')
    host = by_name(read(path))["h1"]
    assert [(h.host, h.port, h.user) for h in host.jump] == jump
    assert host.proxy_command == proxy


def test_ssh_args_fill_what_the_variables_leave_open(tmp_path):
    path = write(
        tmp_path,
        "inv.ini",
        "h1 ansible_ssh_extra_args='-p 2022 -l joe -i ~/.ssh/extra -o User=no "
        "-o StrictHostKeyChecking=no -F ~/.ssh/cfg'\n"
        "h2 ansible_user=set ansible_port=23 ansible_ssh_extra_args='-p 2022 -l joe'\n"
        "h3 ansible_ssh_common_args='-o ProxyJump=\"unclosed'\n",
    )
    result = read(path)
    hosts = by_name(result)
    h1 = hosts["h1"]
    assert (h1.port, h1.user, h1.credentials.key_files) == (2022, "joe", ["~/.ssh/extra"])
    assert h1.ssh_options == [("StrictHostKeyChecking", "no")]
    assert (hosts["h2"].port, hosts["h2"].user) == (23, "set")
    assert ("info", "ssh-args", 1, "h1", "ansible_ssh_extra_args") in diag_set(result)
    assert ("warning", "ssh-args", 3, "h3", "ansible_ssh_common_args") in diag_set(result)


def test_connection_types_are_reported_not_imported_and_can_be_chosen(tmp_path):
    text = (
        "a ansible_connection=ssh\nb ansible_connection=ansible.builtin.paramiko_ssh\nc ansible_connection=winrm\n"
        "d ansible_connection=local\ne ansible_connection=ansible.netcommon.network_cli\n"
        "f ansible_connection='{{ conn }}'\n"
    )
    path = write(tmp_path, "inv.ini", text)
    result = read(path)
    assert set(by_name(result)) == {"a", "b"}
    assert {(d.entry, d.code) for d in result.diagnostics} == {
        ("c", "not-ssh"),
        ("d", "not-ssh"),
        ("e", "not-ssh"),
        ("f", "jinja-value"),
        ("f", "unknown-connection"),
    }
    chosen = read(path, connection_types="ssh,ansible.netcommon.network_cli")
    assert set(by_name(chosen)) == {"a", "e"}


def test_options_are_typed_and_unknown_ones_refused(tmp_path):
    path = write(tmp_path, "inv.ini", "a\n")
    assert AnsibleSource(path).options.connection_types[0] == "ssh"
    with pytest.raises(ConfigError, match=r"--mapping \(mapping\) does not apply to ansible sources"):
        AnsibleSource(path, mapping="generic")
    with pytest.raises(ConfigError, match="codepage"):
        AnsibleSource(path, codepage="cp1252")
    with pytest.raises(ConfigError, match="syntax"):
        AnsibleSource(path, syntax="toml")
    assert by_name(read(write(tmp_path, "x.txt", "all:\n  hosts:\n    y1:\n"), syntax="yaml"))["y1"]


def test_bad_values_are_located_and_do_not_stop_the_rest(tmp_path):
    text = (
        "[g]\nok1\nbadport ansible_port=99999\nbadname ansible_host='bad host'\nnovalue stray\n"
        "ok2 ansible_port=2200\n[g:vars\n[h:children]\nmissing\n[h:weird]\nx\n"
    )
    result = read(write(tmp_path, "inv.ini", text))
    assert set(by_name(result)) == {"ok1", "ok2"}
    assert {(d.code, d.line) for d in result.errors} == {
        ("bad-port", 3),
        ("bad-address", 4),
        ("ini-syntax", 5),
        ("host-pattern", 7),
        ("ini-section", 10),
        ("undefined-group", 9),
    }


def test_group_loops_are_reported(tmp_path):
    result = read(write(tmp_path, "inv.ini", "[a:children]\nb\n[b:children]\na\n[a]\nh1\n[b]\n"))
    assert by_name(result)["h1"].category == ["a"] or by_name(result)["h1"].category == ["b", "a"]
    assert any(d.code == "group-loop" for d in result.errors)


# ---- the YAML subset ---------------------------------------------------------------------------------


def test_yaml_subset_reports_what_it_does_not_read():
    text = "base: &b\n  x: 1\nuse: *b\nmerged:\n  <<: *b\n\ttabbed: 1\ncustom: !thing x\n? complex\ns: 'unclosed\n"
    value, problems = parse_yaml(text)
    lines = sorted(p.line for p in problems)
    assert lines == [1, 3, 5, 5, 6, 7, 8, 9]
    assert value["base"] == {"x": 1}


def test_yaml_block_scalars_and_multiline_flow():
    text = 'a: |\n  one\n  two\nb: >-\n  x\n  y\n\n  z\nc: [1,\n  2, {k: v}]\nd: "q \\"x\\""\n'
    value, problems = parse_yaml(text)
    assert problems == []
    assert value == {"a": "one\ntwo\n", "b": "x y\nz", "c": [1, 2, {"k": "v"}], "d": 'q "x"'}


# ---- hostile input -----------------------------------------------------------------------------------


def test_truncated_yaml_is_reported_not_crashed(tmp_path):
    full = (SAMPLES / "inventory.yml").read_text()
    for cut in (120, 700, 1400, len(full) - 30):
        result = read(write(tmp_path, "cut.yml", full[:cut]))
        assert all(d.file and d.message for d in result.diagnostics)
        assert VAULT_LINE not in everything_printed(result)


def test_binary_garbage_is_one_clear_error(tmp_path):
    path = tmp_path / "garbage.yml"
    path.write_bytes(bytes(range(256)) * 64)
    result = read(path)
    assert result.hosts == [] and [d.code for d in result.errors] == ["binary-file"]


def test_not_utf8_lines_are_located_and_skipped(tmp_path):
    path = tmp_path / "latin.ini"
    path.write_bytes(b"[g]\nh1\nh\xe9\xff2 ansible_password=S3cr3t-latin\nh3\n")
    result = read(path)
    assert set(by_name(result)) == {"h1", "h3"}
    assert [(d.code, d.line) for d in result.errors] == [("encoding", 3)]
    assert "S3cr3t-latin" not in everything_printed(result)


def test_a_too_large_file_is_refused_with_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(source_module, "MAX_BYTES", 1000)
    result = read(write(tmp_path, "big.ini", "h\n" * 1000))
    assert [d.code for d in result.errors] == ["too-large"] and result.hosts == []


def test_a_huge_inventory_is_read_in_full(tmp_path):
    lines = ["all:", "  children:"]
    for g in range(100):
        lines += [f"    g{g}:", "      vars:", f"        ansible_user: u{g}", "      hosts:"]
        lines += [f"        h{g}-{i}.example.net:\n          ansible_port: {2000 + i}" for i in range(200)]
    result = read(write(tmp_path, "huge.yml", "\n".join(lines) + "\n"))
    assert len(result.hosts) == 20000 and not result.diagnostics
    assert by_name(result)["h99-199.example.net"].port == 2199


def test_deep_nesting_and_exploding_ranges_are_bounded(tmp_path):
    deep_yaml = "".join(f"{'  ' * i}k{i}:\n" for i in range(300)) + "x: 1\n"
    assert any("nested deeper" in d.message for d in read(write(tmp_path, "deep.yml", deep_yaml)).diagnostics)
    flow = "all:\n  vars:\n    x: " + "[" * 5000 + "]" * 5000 + "\n  hosts:\n    h1:\n"
    result = read(write(tmp_path, "flow.yml", flow))
    assert set(by_name(result)) == {"h1"} and result.diagnostics
    ini = "[g]\nh1 x=" + "[" * 100000 + "]" * 100000 + "\nh2[0:99999999]\nh3\n"
    result = read(write(tmp_path, "deep.ini", ini))
    assert set(by_name(result)) == {"h1", "h3"}
    assert [(d.code, d.line) for d in result.errors] == [("host-pattern", 3)]


def test_pathological_shapes_are_read_in_one_pass(tmp_path):
    colons = read(write(tmp_path, "colons", ":" * 200000 + "\x1bx\n[g]\nh1\n"))
    assert [h.name for h in colons.hosts] == ["h1"] and colons.errors
    assert all(len(str(d)) < 400 and "\x1b" not in str(d) for d in colons.diagnostics)
    many = "".join(f"[g{i}]\nshared\n" for i in range(5000))
    host = by_name(read(write(tmp_path, "many.ini", many)))["shared"]
    assert host.category == ["g0"] and len(host.tags) == 4999


def test_long_group_chains_are_cut_at_a_bounded_depth(tmp_path):
    chain = "".join(f"[g{i}:children]\ng{i + 1}\n" for i in range(3000)) + "[g3000]\ndeep\n[g0]\ntop\n"
    result = read(write(tmp_path, "chain.ini", chain))
    hosts = by_name(result)
    assert len(hosts["top"].category) == 1 and 1 <= len(hosts["deep"].category) <= 100
    assert any(d.code == "group-depth" for d in result.errors)


def test_vault_and_passwords_never_appear_in_any_output(tmp_path):
    text = (
        f"all:\n  hosts:\n    h1:\n      ansible_ssh_pass: !vault |\n        $ANSIBLE_VAULT;1.1;AES256\n"
        f"        {VAULT_LINE}\n      ansible_host: !vault |\n        $ANSIBLE_VAULT;1.1;AES256\n"
        f"        {VAULT_LINE}\n    h2:\n      ansible_password: Plain-Pass-77\n      ansible_port: bad\n"
        f"    h3:\n      ansible_become_password: Become-Pass-88\n      ansible_password: [Odd-Pass-99]\n"
    )
    result = read(write(tmp_path, "v.yml", text))
    printed = everything_printed(result)
    for secret in (VAULT_LINE, "ANSIBLE_VAULT", "Plain-Pass-77", "Become-Pass-88", "Odd-Pass-99"):
        assert secret not in printed
    assert by_name(result)["h1"].address == "h1"


def test_jinja_fields_are_left_out_with_the_host_imported(tmp_path):
    text = (
        "h1 ansible_user='{{ user }}' ansible_port='{{ port }}' ansible_ssh_private_key_file='{{ key }}'\n"
        'h2 ansible_host="{% if x %}a{% endif %}"\n'
    )
    result = read(write(tmp_path, "j.ini", text))
    hosts = by_name(result)
    assert (hosts["h1"].user, hosts["h1"].port, hosts["h1"].credentials.key_files) == (None, 22, [])
    assert hosts["h2"].address == "h2"
    assert {(d.entry, d.field) for d in result.diagnostics if d.code == "jinja-value"} == {
        ("h1", "ansible_user"),
        ("h1", "ansible_port"),
        ("h1", "ansible_ssh_private_key_file"),
        ("h2", "ansible_host"),
    }


def test_unsafe_values_are_literal(tmp_path):
    text = "all:\n  hosts:\n    h1:\n      ansible_user: !unsafe 'odd{{user'\n"
    assert by_name(read(write(tmp_path, "u.yml", text)))["h1"].user == "odd{{user"


# ---- detection does not steal other formats ------------------------------------------------------------


@pytest.mark.parametrize(
    "sample, fmt",
    [
        ("servers.csv", "csv"),
        ("ssh_config", "ssh_config"),
        ("putty-sessions.reg", "putty"),
        ("mobaxterm.mxtsessions", "mobaxterm"),
        ("mobaxterm/MobaXterm.ini", "mobaxterm"),
    ],
)
def test_other_samples_keep_their_format(sample, fmt):
    path = ROOT / "samples" / sample
    assert detect_format(path) == fmt
    assert AnsibleSource.detect(path, path.read_bytes()[:8192]) < 50


def test_detection_needs_ansible_signs(tmp_path):
    plain_ini = write(tmp_path, "settings.ini", "[server]\nport=8080\n")
    assert AnsibleSource.detect(plain_ini, plain_ini.read_bytes()) == 0
    compose = write(tmp_path, "compose.yml", "services:\n  web:\n    image: nginx\n")
    assert AnsibleSource.detect(compose, compose.read_bytes()) == 0
    hosts = write(tmp_path, "hosts", "[web]\nweb1\n")
    assert detect_format(hosts) == "ansible"


def test_read_sources_with_the_format_prefix(tmp_path):
    path = write(tmp_path, "inv", "[g]\nh1\n")
    result = read_sources([f"ansible:{path}"])
    assert [h.name for h in result.hosts] == ["h1"]
    assert open_source(f"ansible:{path}").format == "ansible"
    assert record_json(result.hosts[0])["category"] == ["g"]


def test_odd_digits_and_bad_jump_hosts_are_reported(tmp_path):
    text = "h1 ansible_port='²'\nh2 ansible_ssh_common_args='-J bad^host'\nh3 ansible_port=99999999999999999999\n"
    result = read(write(tmp_path, "odd.ini", text))
    assert [h.name for h in result.hosts] == ["h2"] and by_name(result)["h2"].jump == []
    assert {(d.code, d.line) for d in result.diagnostics} == {("bad-port", 1), ("ssh-args", 2), ("bad-port", 3)}
