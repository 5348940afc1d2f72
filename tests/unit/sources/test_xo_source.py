"""The ``xo`` source: options and mapping, then real HTTP against the stand-in in both XO flavours."""

from __future__ import annotations

import json

import pytest
from helpers.xo_standin import LEGACY, TSOA, XoStandIn, load_samples

from migrator.errors import (
    ConfigError,
    SourceAuthFailed,
    SourceProtocolError,
    SourceRequestRejected,
    SourceServiceError,
    SourceTimeout,
)
from migrator.sources import open_source, parse_source_spec
from migrator.sources.xo.client import XoClient, check_token, normalize_url
from migrator.sources.xo.mapping import MapOptions, Origin, VmMapper, address_picker
from migrator.sources.xo.source import XoSource

VMS, POOLS = load_samples()
BY_NAME = {vm["name_label"]: vm for vm in VMS}


@pytest.fixture(params=[LEGACY, TSOA])
def xo(request):
    with XoStandIn(request.param) as server:
        yield server


@pytest.fixture
def token_env(monkeypatch, xo):
    monkeypatch.setenv("XO_TOKEN", xo.token)
    return xo.token


def read(url: str, **options):
    source = open_source(f"xo:{url}", options=options)
    return source, source.read()


# -- options, URL, token -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given, expected",
    [
        ("https://XO.example.org/", "https://xo.example.org"),
        ("https://xo.example.org/rest/v0/", "https://xo.example.org"),
        ("http://127.0.0.1:8080/xo", "http://127.0.0.1:8080/xo"),
    ],
)
def test_url_is_normalised(given, expected):
    assert normalize_url(given) == expected


@pytest.mark.parametrize(
    "bad, words",
    [
        ("ftp://xo.example.org", "not an http"),
        ("https://admin:S3cret-In-Url@xo.example.org", "must not contain a user name or password"),
        ("https://xo.example.org/?token=S3cret-In-Url", "must not have a query"),
        ("xo.example.org", "not an http"),
    ],
)
def test_bad_urls_are_refused_without_echoing_secrets(bad, words):
    with pytest.raises(ConfigError) as info:
        normalize_url(bad)
    assert words in str(info.value) and "S3cret-In-Url" not in str(info.value)


def test_spec_keeps_the_url_and_never_looks_for_a_file():
    assert parse_source_spec("xo:https://xo.example.org") == ("xo", "https://xo.example.org")
    source = open_source("xo:https://xo.example.org/rest/v0")
    assert isinstance(source, XoSource) and source.display_path == "https://xo.example.org"
    assert source.key("abc") == "xo:https://xo.example.org#abc"


def test_a_token_option_is_refused_without_showing_it():
    for key in ("token", "TOKEN", "xo_token"):
        with pytest.raises(ConfigError) as info:
            XoSource.parse_options({key: "Very-Secret-Token-1"})
        text = str(info.value)
        assert "XO_TOKEN" in text and "token_file" in text and "Very-Secret-Token-1" not in text
        assert "\n" not in text


def test_options_are_checked_one_line_each_and_never_echo_values():
    with pytest.raises(ConfigError) as info:
        XoSource.parse_options({"adress": "ipv4", "port": "Secret-Like-99", "address": "nowhere"})
    lines = str(info.value).splitlines()
    assert any("unknown option 'adress' for xo sources (did you mean 'address'?)" in line for line in lines)
    assert any(line.startswith("xo: option 'port':") for line in lines)
    assert any("use main, ipv4, ipv6 or a network" in line for line in lines)
    assert "Secret-Like-99" not in str(info.value)
    with pytest.raises(ConfigError, match="contradict"):
        XoSource.parse_options({"verify": False, "ca_bundle": "ca.pem"})
    opts = XoSource.parse_options({"verify": "false", "timeout": "2.5", "limit": "3", "address": "10.10.0.0/16"})
    assert opts.verify is False and opts.timeout == 2.5 and opts.limit == 3 and opts.address == "10.10.0.0/16"


def test_token_characters_that_would_break_the_cookie_are_refused():
    assert check_token(" abc-DEF_123.xyz\n", "XO_TOKEN") == "abc-DEF_123.xyz"
    for bad in ("a;b=c", "two words", 'quote"d', ""):
        with pytest.raises(ConfigError) as info:
            check_token(bad, "XO_TOKEN")
        assert bad.strip() == "" or bad not in str(info.value)


def test_missing_token_names_both_ways_to_give_one(monkeypatch, tmp_path):
    monkeypatch.delenv("XO_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="set XO_TOKEN or pass --source-option token_file=PATH"):
        open_source("xo:http://127.0.0.1:9").read()
    with pytest.raises(ConfigError, match="token_file .*missing.txt: cannot read"):
        open_source("xo:http://127.0.0.1:9", options={"token_file": str(tmp_path / "missing.txt")}).read()


# -- mapping -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "choice, vm, expected",
    [
        ("main", "web-01", "10.10.1.11"),
        ("main", "v6-only", "2001:db8:20::6"),
        ("ipv4", "v6-only", None),
        ("ipv6", "web-01", "2001:db8:10::11"),
        ("ipv6", "v6-only", "2001:db8:20::6"),
        ("192.168.50.0/24", "db-01", "192.168.50.21"),
        ("10.99.0.0/16", "lab-multi", "10.99.0.30"),
        ("10.99.0.0/16", "web-01", None),
        ("2001:db8:30::/48", "lab-multi", "2001:db8:30::30"),
        ("main", "no-tools", None),
    ],
)
def test_address_choice(choice, vm, expected):
    assert address_picker(choice)(BY_NAME[vm]) == expected


def test_ipv6_prefers_a_global_address_over_link_local():
    vm = {"addresses": {"0/ipv6/0": "fe80::1", "0/ipv6/1": "2001:db8::9"}}
    assert address_picker("ipv6")(vm) == "2001:db8::9"


def _map(vms, **options):
    mapper = VmMapper(
        Origin("https://xo.example.org"), {p["id"]: p["name_label"] for p in POOLS}, MapOptions(**options)
    )
    for i, vm in enumerate(vms, 1):
        mapper.add(i, vm)
    return mapper.finish()


def test_vm_fields_map_to_the_host():
    out = _map([BY_NAME["web-01"], BY_NAME["lab-build"]])
    web, lab = out.hosts
    assert (web.name, web.address, web.port, web.category, web.tags, web.description) == (
        "web-01",
        "10.10.1.11",
        22,
        ["Production"],
        ["prod", "web"],
        "Public web front end",
    )
    assert web.key == "xo:https://xo.example.org#0e8c7a1e-1111-4c1a-9f01-000000000001"
    assert web.source.file == "https://xo.example.org" and web.source.section == "Production"
    assert lab.category == ["Lab"] and lab.description is None


def test_vm_without_address_is_a_warning_naming_it_and_not_imported():
    out = _map([BY_NAME["backup-01"], BY_NAME["no-tools"], BY_NAME["web-02"]])
    assert [h.name for h in out.hosts] == ["web-02"]
    warned = [(d.level, d.code, d.entry) for d in out.diagnostics]
    assert warned == [("warning", "xo-no-address", "backup-01"), ("warning", "xo-no-address", "no-tools")]


def test_halted_vms_are_imported_by_default_and_skipped_by_option():
    assert [h.name for h in _map([BY_NAME["legacy-app"]]).hosts] == ["legacy-app"]
    out = _map([BY_NAME["legacy-app"], BY_NAME["backup-01"], BY_NAME["lab-suspended"]], include_halted=False)
    assert [h.name for h in out.hosts] == ["lab-suspended"]
    [info] = out.diagnostics
    assert info.level == "info" and "2 halted VM(s)" in info.message and "legacy-app, backup-01" in info.message


def test_odd_objects_become_diagnostics_and_the_rest_goes_through():
    unnamed = {**BY_NAME["web-01"], "name_label": "  ", "uuid": "u-1", "id": "u-1"}
    bad_addr = {**BY_NAME["web-02"], "mainIpAddress": "not an address!"}
    stray_pool = {**BY_NAME["db-01"], "$pool": "gone-pool"}
    out = _map(["/rest/v0/vms/x", 42, {"name_label": "no id"}, unnamed, bad_addr, stray_pool])
    codes = [d.code for d in out.diagnostics]
    assert codes == [
        "xo-bad-object",
        "xo-bad-object",
        "xo-bad-object",
        "xo-no-name",
        "xo-bad-address",
        "xo-unknown-pool",
    ]
    assert "a link (fields= was ignored?)" in out.diagnostics[0].message
    assert [h.name for h in out.hosts] == ["u-1", "db-01"] and out.hosts[1].category == ["gone-pool"]


# -- HTTP against the stand-in (both flavours) ------------------------------------------------------


def test_reads_every_vm_with_cookie_auth_fields_and_ndjson(xo, token_env):
    source, result = read(xo.url)
    names = {h.name for h in result.hosts}
    assert names == {"web-01", "web-02", "db-01", "legacy-app", "v6-only", "lab-build", "lab-suspended", "lab-multi"}
    assert source.flavour == xo.flavour
    assert any(d.code == "xo-read" and f"({xo.flavour} REST API)" in d.message for d in result.diagnostics)
    paths = [r["path"] for r in xo.requests]
    assert paths == ["/rest/v0", "/rest/v0/pools", "/rest/v0/vms"]
    vms_req = xo.requests[-1]
    assert vms_req["query"]["ndjson"] == "true"
    assert set(vms_req["query"]["fields"].split(",")) >= {
        "name_label",
        "name_description",
        "power_state",
        "addresses",
        "mainIpAddress",
        "tags",
        "$pool",
    }
    for r in xo.requests:
        assert r["cookies"] == {"authenticationToken": xo.token} and r["authorization"] is None
        assert xo.token not in json.dumps(r["query"])


def test_filter_is_passed_through_unchanged(xo, token_env):
    expression = 'power_state:Running |(tags:db name_label:"web-02")'
    _, result = read(xo.url, filter=expression)
    assert sorted(h.name for h in result.hosts) == ["db-01", "web-02"]
    assert xo.requests[-1]["query"]["filter"] == expression
    _, negated = read(xo.url, filter="!tags:prod")
    assert {h.name for h in negated.hosts} == {"legacy-app", "v6-only", "lab-build", "lab-suspended", "lab-multi"}


def test_malformed_filter_is_a_typed_one_line_error_in_each_flavour(xo, token_env):
    with pytest.raises(SourceServiceError) as info:
        read(xo.url, filter="power_state:(")
    text = str(info.value)
    assert info.value.exit_code == 8 and "\n" not in text and "power_state:(" in text
    if xo.flavour == TSOA:
        assert isinstance(info.value, SourceRequestRejected) and info.value.status == 400
        assert "parse error: expected end of input at position 11" in text
    else:
        assert info.value.status == 500 and "malformed filter" in text and "<" not in text


@pytest.mark.parametrize("token", ["wrong-token-Zq81", ""])
def test_bad_token_is_auth_failed_and_never_shown(xo, monkeypatch, token):
    monkeypatch.setenv("XO_TOKEN", token)
    if not token:
        with pytest.raises(ConfigError, match="token from XO_TOKEN is empty"):
            read(xo.url)
        return
    with pytest.raises(SourceAuthFailed) as info:
        read(xo.url)
    text = str(info.value)
    assert info.value.status == 401 and info.value.exit_code == 8 and "\n" not in text
    assert token not in text and "XO_TOKEN" in text
    assert ("invalid credentials" if xo.flavour == TSOA else "Unauthorized") in text
    assert [r["path"] for r in xo.requests] == ["/rest/v0"]


def test_token_file_wins_over_the_environment(xo, tmp_path, monkeypatch):
    monkeypatch.setenv("XO_TOKEN", "stale-env-token")
    token_file = tmp_path / "xo.token"
    token_file.write_text(xo.token + "\n", encoding="utf-8")
    _, result = read(xo.url, token_file=str(token_file))
    assert len(result.hosts) == 8


def test_limit_is_sent_and_reported(xo, token_env):
    _, result = read(xo.url, limit=3)
    assert len(result.hosts) + sum(d.code == "xo-no-address" for d in result.diagnostics) == 3
    assert xo.requests[-1]["query"]["limit"] == "3"
    assert any(d.code == "xo-limit" for d in result.diagnostics)


def test_unknown_path_is_a_404_protocol_error(xo, token_env):
    with pytest.raises(SourceProtocolError) as info:
        read(xo.url + "/not-xo")
    assert info.value.status == 404 and "not a Xen Orchestra URL" in str(info.value)


def test_large_pool_is_streamed_and_the_byte_cap_holds(xo, token_env):
    template = BY_NAME["web-01"]
    xo.vms = [
        {
            **template,
            "id": f"vm-{i:05d}",
            "uuid": f"vm-{i:05d}",
            "name_label": f"vm-{i:05d}",
            "mainIpAddress": f"10.{i // 65536}.{i // 256 % 256}.{i % 256}",
        }
        for i in range(6000)
    ]
    _, result = read(xo.url)
    assert len(result.hosts) == 6000 and len({h.key for h in result.hosts}) == 6000
    with pytest.raises(SourceProtocolError, match="sent more than 1 MiB"):
        read(xo.url, max_mb=1)


def test_an_overlong_line_is_refused(xo):
    xo.vms = [{**BY_NAME["web-01"], "name_description": "x" * 5000}]
    with XoClient(xo.url, xo.token, max_line=1024) as client:
        client.probe()
        with pytest.raises(SourceProtocolError, match="line 1 of .* is longer than 1024 bytes"):
            list(client.stream("vms", {"fields": "name_description"}))


def test_no_fields_gives_links_in_both_flavours(xo):
    with XoClient(xo.url, xo.token) as client:
        assert client.probe() == xo.flavour
        links = list(client.stream("vms", {}))
    assert links[0] == f"/rest/v0/vms/{VMS[0]['id']}" and len(links) == len(VMS)


def test_fingerprint_follows_the_data_not_the_order(xo, token_env):
    first, _ = read(xo.url)
    xo.vms = list(reversed(xo.vms))
    second, _ = read(xo.url)
    assert first.fingerprint() == second.fingerprint()
    xo.vms = [{**vm, "name_label": vm["name_label"] + "-renamed"} for vm in xo.vms]
    third, _ = read(xo.url)
    assert third.fingerprint() != first.fingerprint()


def test_a_server_that_never_answers_times_out():
    with XoStandIn(TSOA, delay=5) as xo:
        with XoClient(xo.url, xo.token, timeout=0.3) as client, pytest.raises(SourceTimeout) as info:
            client.probe()
    assert info.value.exit_code == 8 and "within 0.3 s" in str(info.value)


def test_the_deadline_covers_the_whole_answer_not_each_read():
    with XoStandIn(LEGACY, drip=0.2) as xo:
        with XoClient(xo.url, xo.token, timeout=1.0) as client:
            client.probe()
            with pytest.raises(SourceTimeout, match="did not finish sending /rest/v0/vms"):
                list(client.stream("vms", {"fields": "id"}))
