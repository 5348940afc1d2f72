"""Hostile values against the native-format readers, second part: wrong types, refused YAML tags and
aliases in every field, folders nested without end, key derivation a file can demand, command lines
that cost quadratic time. Shared parts are in ``helpers/native_attack.py``; the first part is
``test_native_attack.py``.
"""

from __future__ import annotations

import re

import pytest
from helpers.native_attack import (
    HUGE,
    copy_sample,
    read_or_one_line,
)
from hypothesis import given
from hypothesis import strategies as st

from migrator.sources.secrets import PASSWORD_ENV


@pytest.fixture(autouse=True)
def no_env_secret(monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)


# ---- wrong types, tags and aliases in every field of the YAML and JSON formats -------------------

#: A mapping, a list, a number past every range, undef, a tag and an alias the readers refuse (YAML.pm
#: and js-yaml would construct or fail on them; nothing here constructs anything), control characters.
YAML_VALUES = ["{x: 1}", "[a, b]", "{}", HUGE, "~", "!!python/object/apply:os.system [id]", "*nowhere", '"\\e[2J\\0"']
REFUSED = ("<unsupported", "os.system", "nowhere")


def _scalar_lines(text: str) -> list[int]:
    return [i for i, line in enumerate(text.split("\n")) if re.match(r"^\s*(?:- )?[^:#\s][^:#]*: \S", line)]


def _host_texts(result) -> str:
    parts = []
    for h in result.hosts:
        parts += [h.name, h.address, h.user or "", h.description or "", *h.category, *h.credentials.key_files]
        parts += [f"{k} {v}" for k, v in h.ssh_options] + [hop.host for hop in h.jump] + [h.proxy_command or ""]
    return "\n".join(parts)


@pytest.mark.parametrize(("fmt", "rel"), [("asbru", "asbru/asbru.yml"), ("tabby", "tabby/config.yaml")])
def test_every_field_of_the_wrong_type_is_reported_and_never_becomes_data(fmt, rel, tmp_path):
    """Each scalar of the sample in turn becomes each of ``YAML_VALUES``: the read ends in diagnostics,
    and a value the YAML reader refused never reaches a host as text (it used to be the user
    ``<unsupported: tag>``, or an internal error when a list was expected)."""
    location = copy_sample(tmp_path, rel)
    lines = location.read_text(encoding="utf-8").split("\n")
    for index in _scalar_lines("\n".join(lines)):
        head = lines[index].split(": ", 1)[0]
        for value in YAML_VALUES:
            location.write_text("\n".join([*lines[:index], f"{head}: {value}", *lines[index + 1 :]]), encoding="utf-8")
            result = read_or_one_line(fmt, location, forbidden=(HUGE[:250],))
            if result is not None:
                texts = _host_texts(result)
                assert not any(r in texts for r in REFUSED), (index, value)


@pytest.mark.parametrize(
    ("field", "value"),
    [("user", "!!perl/code '{ 1 }'"), ("ip", "*alias"), ("name", "!!perl/glob x"), ("port", "!!binary eA==")],
)
def test_an_asbru_field_the_yaml_reader_refuses_holds_its_entry(field, value, tmp_path):
    location = copy_sample(tmp_path, "asbru/asbru.yml")
    text = location.read_text(encoding="utf-8")
    block = text.index("\n  5a1e0000-0000-4000-8000-000000000010:\n")
    start = text.index(f"\n    {field}: ", block) + 1
    end = text.index("\n", start)
    location.write_text(text[:start] + f"    {field}: {value}" + text[end:], encoding="utf-8")
    result = read_or_one_line("asbru", location)
    assert "bastion" not in {h.name for h in result.hosts}
    assert any(k.endswith("5a1e0000-0000-4000-8000-000000000010") for k in result.held)
    named = ("bastion", "5a1e0000-0000-4000-8000-000000000010")  # without a readable name, by its UUID
    assert any(d.entry and d.entry.endswith(named) and d.level == "error" for d in result.diagnostics)


@pytest.mark.parametrize("jump", ["5", "-1", "bad host", "a" * 300, "[::1"])
def test_an_asbru_jump_host_that_is_no_address_is_an_entry_error(jump, tmp_path):
    location = copy_sample(tmp_path, "asbru/asbru.yml")
    text = location.read_text(encoding="utf-8").replace("    jump ip: bastion.example.com", f"    jump ip: '{jump}'", 1)
    location.write_text(text, encoding="utf-8")
    result = read_or_one_line("asbru", location)
    assert "web01" not in {h.name for h in result.hosts}
    (error,) = [d for d in result.errors if d.entry and d.entry.endswith("web01")]
    assert error.field == "jump ip" and len(error.message) < 200


@pytest.mark.parametrize("field", ["user", "host", "port", "jumpHost", "privateKeys"])
@pytest.mark.parametrize("value", ["!!js/function 'function () {}'", "*nowhere", "!!python/name:os.system"])
def test_a_tabby_option_the_yaml_reader_refuses_holds_its_profile(field, value, tmp_path):
    from helpers.tabby import config_doc, js_yaml_dump, ssh_profile

    good = ssh_profile("ssh:a", "a", "a.example.net", user="ops", port=22)
    other = ssh_profile("ssh:b", "b", "b.example.net")
    text = js_yaml_dump(config_doc([good, other]))
    marker = "      host: a.example.net\n"
    assert marker in text
    text = (
        text.replace(marker, marker + f"      {field}: {value}\n", 1) if field not in ("user", "host", "port") else text
    )
    text = re.sub(rf"(?m)^(      {field}): (ops|a\.example\.net|22)$", rf"\1: {value}", text, count=1)
    location = tmp_path / "config.yaml"
    location.write_text(text, encoding="utf-8")
    result = read_or_one_line("tabby", location)
    assert [h.name for h in result.hosts] == ["b"]
    assert result.held == {"tabby:ssh:a"} or any(k.endswith("ssh:a") for k in result.held)
    assert any(d.code == "unreadable-value" and d.field == f"options.{field}" for d in result.errors)


JSON_VALUES = [{}, [], {"x": 1}, ["a"], 10**60, -1, None, True, "\x1b[2J\x00", 1e308, ""]


def _json_paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _json_paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _json_paths(v, (*path, i))


def _replaced(node, path, value):
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        return {k: (_replaced(v, rest, value) if k == head else v) for k, v in node.items()}
    return [(_replaced(v, rest, value) if i == head else v) for i, v in enumerate(node)]


@pytest.mark.parametrize(
    ("fmt", "rel"), [("windows_terminal", "windows_terminal/settings.json"), ("royalts", "royalts/dynamic.rjson")]
)
def test_every_json_value_of_the_wrong_type_is_reported(fmt, rel, tmp_path):
    import json

    from migrator.sources.windows_terminal import jsonc

    def plain(node):
        if isinstance(node, dict):
            return {k: plain(v) for k, v in node.items()}
        return [plain(v) for v in node] if isinstance(node, list) else node

    location = copy_sample(tmp_path, rel)
    doc = plain(jsonc.parse(location.read_text(encoding="utf-8-sig")))
    for path in list(_json_paths(doc))[1:]:
        for value in JSON_VALUES:
            location.write_text(json.dumps(_replaced(doc, path, value)), encoding="utf-8")
            read_or_one_line(fmt, location)


# ---- folders nested without end ---------------------------------------------------------------


def _royal_chain(depth: int, connections: int) -> str:
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n<RTSZDocument>\n<RoyalDocument><ID>doc</ID><Name>D</Name>']
    parts.append("</RoyalDocument>\n")
    parent = "doc"
    for i in range(depth):
        parts.append(f"<RoyalFolder><ID>f{i}</ID><ParentID>{parent}</ParentID><Name>f{i}</Name></RoyalFolder>\n")
        parent = f"f{i}"
    for j in range(connections):
        parts.append(
            f"<RoyalSSHConnection><ID>c{j}</ID><ParentID>f{depth - 1 - j}</ParentID><Name>c{j}</Name>"
            f"<URI>h{j}.example.net</URI></RoyalSSHConnection>\n"
        )
    return "".join(parts) + "</RTSZDocument>\n"


def test_royal_ts_folders_nested_to_the_cap_are_read_and_deeper_ones_hold_their_entries(tmp_path):
    from migrator.sources.limits import MAX_FOLDER_DEPTH

    path = tmp_path / "deep.rtsz"
    path.write_text(_royal_chain(MAX_FOLDER_DEPTH + 2, 3), encoding="utf-8")
    result = read_or_one_line("royalts", path)
    # c0 sits in MAX+2 folders, c1 in MAX+1, c2 in MAX: only c2 is read, the others are held
    assert [(h.name, len(h.category)) for h in result.hosts] == [("c2", MAX_FOLDER_DEPTH)]
    assert sorted(k.rpartition("#")[2] for k in result.held) == ["c0", "c1"]
    deep = [d for d in result.errors if d.code == "too-deep"]
    assert len(deep) == 2 and all(str(MAX_FOLDER_DEPTH) in d.message and d.field == "ParentID" for d in deep)


def test_a_hundred_thousand_nested_royal_ts_folders_cost_linear_memory(tmp_path):
    """Every folder kept a copy of its path: 16,000 levels (1.5 MB of XML) took 1.2 GB and 9 s."""
    import tracemalloc

    path = tmp_path / "deep.rtsz"
    path.write_text(_royal_chain(30_000, 500), encoding="utf-8")
    tracemalloc.start()
    try:
        result = read_or_one_line("royalts", path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert not result.hosts and len(result.held) == 500
    assert peak < 300 * 1024 * 1024


@pytest.mark.parametrize("segments", [65, 66, 20_000])
def test_an_rjson_path_of_any_length_costs_linear_time_and_holds_its_entry_past_the_cap(segments, tmp_path):
    """``Path`` made one folder per prefix, copying the prefix each time: 20,000 segments took 10 s."""
    import json

    from migrator.sources.limits import MAX_FOLDER_DEPTH

    objects = [
        {"Type": "TerminalConnection", "Name": "deep", "ID": "d", "ComputerName": "d.example.net"},
        {"Type": "TerminalConnection", "Name": "ok", "ID": "o", "ComputerName": "o.example.net", "Path": "A/B"},
    ]
    objects[0]["Path"] = "/".join(f"s{i}" for i in range(segments))
    path = tmp_path / "deep.rjson"
    path.write_text(json.dumps({"Objects": objects}), encoding="utf-8")
    result = read_or_one_line("royalts", path)
    hosts = {h.name: h.category for h in result.hosts}
    assert hosts["ok"] == ["A", "B"]
    if segments <= MAX_FOLDER_DEPTH:
        assert len(hosts["deep"]) == segments
    else:
        assert "deep" not in hosts and [k.rpartition("#")[2] for k in result.held] == ["d"]


# ---- key derivation a file can demand -----------------------------------------------------------


def test_securecrt_derivations_with_a_passphrase_stop_at_the_budget_and_hold_the_rest(tmp_path, monkeypatch):
    """Every ``03:`` value may carry its own salt, and each salt costs a bcrypt_pbkdf (0.05-0.2 s):
    100,000 session files with a salt each would run for hours. Past ``MAX_SALTS`` the values are not
    decrypted and their entries are held; the count is in the message, never a value."""
    from helpers.securecrt import encrypt_v2, session_settings, write_config

    from migrator.sources.securecrt import bcrypt_pbkdf, passwords

    monkeypatch.setattr(passwords, "MAX_SALTS", 3)
    passphrase = "pässphrase"
    sessions = {
        f"s{i}": session_settings(f"s{i}.example.net", password=encrypt_v2(f"pw{i}", passphrase, "03", bytes([i]) * 16))
        for i in range(1, 6)
    }
    config = write_config(tmp_path, sessions)
    bcrypt_pbkdf.derive.cache_clear()
    monkeypatch.setenv(PASSWORD_ENV, passphrase)
    result = read_or_one_line("securecrt", config)
    bcrypt_pbkdf.derive.cache_clear()
    opened = sorted(h.credentials.password.get_secret_value() for h in result.hosts if h.credentials.password)
    assert opened == ["pw1", "pw2", "pw3"]
    assert {d.entry for d in result.errors} == {"s4", "s5"} and len(result.held) == 2
    assert all("slow key derivation" in d.message and "needed 3" in d.message for d in result.errors)
    text = " ".join(d.message for d in result.diagnostics)
    assert passphrase not in text and not any(f"pw{i}" in text for i in range(1, 6))


def test_the_kdf_budget_pays_before_it_derives():
    from migrator.sources.secrets import KdfBudget

    budget = KdfBudget(10)
    assert budget.spend(4) and budget.spend(6) and not budget.spend(1) and budget.spent == 10
    assert not KdfBudget(5).spend(6)


@pytest.mark.parametrize("fmt", ["winscp", "royalts"])
def test_per_value_pbkdf2_stops_at_the_read_budget_and_holds_the_rest(fmt, tmp_path, monkeypatch):
    """WinSCP master-password values and Royal TS values each carry a salt (1,000 PBKDF2 iterations
    apiece): a 64 MiB file of them would take many minutes. Past ``KDF_ITERATIONS_PER_READ`` the
    rest are held, each with one line; the ones before are exact."""
    from migrator.sources import secrets

    budget_values = 4  # four values fit (WinSCP's verifier is one derivation of its own)
    monkeypatch.setattr(secrets, "KDF_ITERATIONS_PER_READ", budget_values * 1000)
    secret = "Doc-Pässword"
    location = tmp_path / ("WinSCP.ini" if fmt == "winscp" else "doc.rtsz")
    if fmt == "winscp":
        from helpers.winscp import encrypt_with_master, ini_text, site

        sites = {
            f"h{i}": site(f"h{i}.example.net", UserName="u", Password=("raw", encrypt_with_master(f"pw{i}", secret)))
            for i in range(6)
        }
        location.write_text(ini_text(sites, master=secret), encoding="utf-8")
    else:
        from helpers.royalts import RoyalDoc

        doc = RoyalDoc(password=secret)
        for i in range(6):
            doc.ssh(
                f"h{i}",
                f"h{i}.example.net",
                id=f"id{i}",
                CredentialMode=2,
                CredentialUsername="u",
                CredentialPassword=doc.enc(f"pw{i}"),
            )
        doc.write(location)
    monkeypatch.setenv(PASSWORD_ENV, secret)
    result = read_or_one_line(fmt, location, forbidden=(secret, "pw"))
    passwords = {h.name: h.credentials.password.get_secret_value() for h in result.hosts}
    opened = sorted(passwords)
    assert len(opened) == budget_values and all(passwords[n] == "pw" + n[1:] for n in opened)
    assert len(result.held) == 6 - budget_values
    budget = [d for d in result.errors if "key derivation" in d.message]
    assert len(budget) == 6 - budget_values
    assert all(f"{budget_values * 1000:,} PBKDF2 iterations" in d.message for d in budget)


@pytest.mark.parametrize("port", ["ss\\u0000h", "\\u0000", "x" * 300, "\\udcff"])
def test_a_windows_terminal_port_no_service_can_have_is_an_entry_error(port, tmp_path):
    """``ssh -p NAME`` looks the name up as a TCP service: a NUL made getservbyname raise ValueError."""
    location = copy_sample(tmp_path, "windows_terminal/settings.json")
    text = location.read_text(encoding="utf-8-sig")
    old = '"commandline": "ssh ssh://postgres@db01.example.com:5022 -o ServerAliveInterval=30"'
    assert old in text
    location.write_text(text.replace(old, f'"commandline": "ssh -p {port} db01.example.com"'), encoding="utf-8")
    result = read_or_one_line("windows_terminal", location)
    assert "db01" not in {h.name for h in result.hosts}
    assert any(d.entry == "db01" and d.level == "error" for d in result.diagnostics)


# ---- splitting command lines -----------------------------------------------------------------


@given(st.text(" \t\r\n'\"\\#ab=-", max_size=40), st.booleans())
def test_shell_split_is_shlex_split(text, comments):
    """The linear splitter against shlex itself: same words, same errors."""
    import shlex

    from migrator.sources.shellwords import shell_split

    try:
        expected = ("words", shlex.split(text, comments=comments))
    except ValueError as exc:
        expected = ("error", str(exc))
    try:
        got = ("words", shell_split(text, comments=comments))
    except ValueError as exc:
        got = ("error", str(exc))
    assert got == expected


def test_shell_split_of_a_megabyte_word_is_one_word():
    """shlex grows a token one character at a time: 800 KB took 12 s; this is one pass."""
    from migrator.sources.shellwords import shell_split

    assert shell_split("a" * 1_000_000 + " 'b c'") == ["a" * 1_000_000, "b c"]
    assert shell_split('"\\\\' + "x" * 1_000_000 + '"') == ["\\" + "x" * 1_000_000]


@pytest.mark.parametrize(
    ("commandline", "unquoted"),
    [
        ("C:\\Program Files\\OpenSSH\\ssh.exe host", True),
        ("C:\\Program Files\\OpenSSH\\SSH host", True),
        ('"C:\\Program Files\\OpenSSH\\ssh.exe" host', False),
        ("C:\\Windows\\System32\\OpenSSH\\ssh.exe host", False),
        ('C:\\Program Files\\x" y\\ssh.exe', False),
        ("a " * 200_000 + "powershell.exe", False),
        ("a " * 200_000 + "\\ssh.exe", True),
    ],
)
def test_an_unquoted_ssh_path_is_found_in_linear_time(commandline, unquoted):
    """Two lazy runs around a space made the old pattern quadratic: 400 KB of ``"a "`` took ten minutes."""
    from migrator.sources.windows_terminal.source import unquoted_ssh_path

    assert unquoted_ssh_path(commandline) is unquoted
