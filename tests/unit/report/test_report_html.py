"""The HTML report: well-formed, escaped, secret-free, complete, and rendered by a real Chromium."""

from __future__ import annotations

import contextlib
import copy
import os
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pydantic import SecretStr

from migrator.apply.loader import Loader
from migrator.manager import plan_inventory
from migrator.model import Credentials, Host, JumpHop, Provenance, SourceResult
from migrator.report.document import plan_document
from migrator.report.html import render_html_document
from migrator.simulator import Simulator
from migrator.xpipe.auth import LocalAuth
from migrator.xpipe.client import XPipeClient
from migrator.xpipe.inplace import encode_inplace

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_CHROMIUM = "XPIPE_MIGRATE_REQUIRE_CHROMIUM"
HOSTILE = "<script>alert(1)</script>"
ATTR_HOSTILE = '"><img src=x onerror=alert(2)>&amp;'
PASSWORDS = ("bastion-Pw-4711", "db-s3cret-&<>", 'web-pw-"quoted"')
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
#: every element the renderer emits; anything else in the output came from unescaped input
ALLOWED_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "header",
    "h1",
    "h2",
    "h3",
    "p",
    "span",
    "div",
    "section",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "ul",
    "li",
    "code",
    "input",
    "label",
    "footer",
}

BLOCKS = {"td", "th", "tr", "li", "p", "div", "h1", "h2", "h3", "ul", "table", "section", "header", "footer", "label"}


class Page(HTMLParser):
    """Parses a page strictly: every non-void element closed in order; collects text per section."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.sections: dict[str, list[str]] = {}
        self.title = ""
        self.doctype = None
        self._section: list[str | None] = []
        self.feed(text)
        self.close()
        if self.stack:
            self.errors.append(f"unclosed at end: {self.stack}")

    def handle_decl(self, decl):
        self.doctype = decl

    def _gap(self, tag: str) -> None:
        """Cell and block boundaries read as a space, as they look on screen."""
        if tag in BLOCKS:
            self.handle_data(" ")

    def handle_starttag(self, tag, attrs):
        self._gap(tag)
        self.tags.append((tag, dict(attrs)))
        if tag in VOID:
            return
        self.stack.append(tag)
        if tag == "section":
            self._section.append(dict(attrs).get("id"))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.errors.append(f"self-closed non-void <{tag}/>")

    def handle_endtag(self, tag):
        if tag in VOID:
            self.errors.append(f"end tag for void element </{tag}>")
            return
        self._gap(tag)
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()
        if tag == "section":
            self._section.pop()

    def handle_data(self, data):
        self.text.append(data)
        if self.stack and self.stack[-1] == "title":
            self.title += data
        for ident in self._section:
            self.sections.setdefault(ident, []).append(data)

    def all_text(self) -> str:
        return "".join(self.text)

    def section(self, ident: str) -> str:
        return " ".join("".join(self.sections.get(ident, [])).split())

    def find(self, tag: str, **attrs) -> list[dict]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def parse(text: str) -> Page:
    page = Page(text)
    assert page.errors == [], page.errors[:5]
    assert page.doctype and page.doctype.lower() == "doctype html"
    unexpected = {t for t, _ in page.tags} - ALLOWED_TAGS
    assert not unexpected, unexpected
    return page


# -- a realistic plan through the real pipeline ----------------------------------------------


@contextlib.contextmanager
def simulated_client(tmp_path: Path, version: str = "24.0"):
    with Simulator(version=version, auth_file=tmp_path / "xpipe" / "beacon-auth") as sim:
        client = XPipeClient(sim.url, LocalAuth(sim.auth_file), retries=1, backoff=0, timeout=10, first_timeout=10)
        client.connect()
        try:
            yield client
        finally:
            client.close()


def host(name: str, address: str, *, category=("Prod",), password=None, jump=(), port=22) -> Host:
    return Host(
        key=f"csv:inventory.csv#{address}",
        name=name,
        address=address,
        port=port,
        user="ops",
        category=list(category),
        jump=list(jump),
        credentials=Credentials(password=SecretStr(password) if password else None),
        source=Provenance(format="csv", file="inventory.csv", line=len(name)),
    )


def inventory(web_password: str = PASSWORDS[2]) -> SourceResult:
    return SourceResult(
        hosts=[
            host("bastion", "bastion.example.net", category=("Infra",), password=PASSWORDS[0]),
            host(
                "db1",
                "db1.example.net",
                password=PASSWORDS[1],
                jump=[
                    JumpHop(host="bastion.example.net", ref="bastion", ref_key="csv:inventory.csv#bastion.example.net")
                ],
            ),
            host("web1", "web1.example.net", category=('R&D "lab"',), password=web_password),
            host(HOSTILE, "hostile.example.net", port=2222),
        ]
    )


def plan_apply_and_change(client):
    """First run creates everything; the second changes one password: plan, apply, plan+apply."""
    first = plan_inventory(client, inventory())
    first_result = Loader(client, progress=False).apply(first)
    second = plan_inventory(client, inventory(web_password="web-pw-ROTATED"))
    second_result = Loader(client, progress=False).apply(second)
    assert not first_result.failed and not second_result.failed
    assert first_result.encrypted > 0
    return (first, first_result), (second, second_result)


@pytest.mark.parametrize("version", ["23.8", "24.0"])
def test_pipeline_reports_carry_no_secret_and_escape_hostile_names(tmp_path, version):
    with simulated_client(tmp_path, version) as client:
        (first, first_result), (second, second_result) = plan_apply_and_change(client)
    pages = [
        render_html_document(plan_document(first)),
        render_html_document(plan_document(first, first_result)),
        render_html_document(plan_document(second, second_result)),
    ]
    secrets = [*PASSWORDS, "web-pw-ROTATED"]
    secrets += [encode_inplace(p)["encryptedValue"] for p in secrets]
    for text in pages:
        page = parse(text)
        for secret in secrets:
            assert secret not in text
            assert secret not in page.all_text()
        assert "<script" not in text
        assert not page.find("script") and not page.find("img")
        assert HOSTILE in page.section("changes")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        assert 'R&amp;D "lab"' in text
    rotated = parse(pages[2])
    changes = rotated.section("changes")
    assert "identity.identityStore.password" in changes and "<redacted" in changes
    assert rotated.title.startswith(f"xpipe-migrate apply: {second.target} — 1 update, ")


def test_counts_and_timings_appear_in_title_summary_and_apply(tmp_path):
    with simulated_client(tmp_path) as client:
        (plan, result), _ = plan_apply_and_change(client)
    doc = plan_document(plan, result)
    page = parse(render_html_document(plan_document(plan, result)))
    counts = plan.counts()
    assert counts["create"] == len(plan.changes) > 4
    assert page.title == f"xpipe-migrate apply: {plan.target} — {counts['create']} create"
    summary = page.section("summary")
    s = doc["summary"]
    for label, value in (
        ("create", s["create"]),
        ("update", 0),
        ("re-create", 0),
        ("unchanged", 0),
        ("conflict", 0),
        ("hosts read", 4),
        ("entries planned", s["entries"]),
        ("API requests (plan)", s["plan_requests"]),
        ("planning time (s)", s["plan_seconds"]),
    ):
        assert f"{label} {value}" in summary, (label, value, summary)
    applied = page.section("apply")
    a = doc["apply"]
    for label, value in (
        ("created", a["created"]),
        ("failed", 0),
        ("write requests", a["write_requests"]),
        ("encrypt requests", a["encrypt_requests"]),
        ("apply time (s)", a["seconds"]),
    ):
        assert f"{label} {value}" in applied, (label, value, applied)
    assert "No failures." in applied
    for name in ("bastion", "db1", "web1", plan.target):
        assert name in page.all_text()
    assert f"XPipe version: {plan.xpipe_version}" in page.all_text()


# -- hand-built documents for everything the pipeline cannot produce yet ----------------------


def base_doc() -> dict:
    return {
        "schema": "xpipe-migrate/plan",
        "version": 1,
        "target": "http://127.0.0.1:21721",
        "xpipe_version": "24.0",
        "dialect": "v24",
        "root_category": "Imported",
        "summary": {
            "create": 1,
            "update": 1,
            "recreate": 0,
            "unchanged": 2,
            "conflict": 1,
            "hosts_read": 4,
            "entries": 5,
            "diagnostics": 3,
            "plan_requests": 7,
            "plan_seconds": 0.125,
        },
        "changes": [
            {
                "action": "create",
                "kind": "host",
                "name": "web9",
                "category": "Imported/Prod",
                "key": "csv:a.csv#web9",
                "uuid": None,
                "source": "a.csv:9",
                "reason": None,
                "fields": [],
            },
            {
                "action": "update",
                "kind": "host",
                "name": "db1",
                "category": "Imported/Prod",
                "key": "csv:a.csv#db1",
                "uuid": "11111111-2222-3333-4444-555555555555",
                "source": "a.csv:2",
                "reason": None,
                "fields": [{"path": "port", "old": 22, "new": 2200}, {"path": "host", "old": None, "new": "db1.x"}],
            },
            {
                "action": "unchanged",
                "kind": "host",
                "name": "web1",
                "category": "Imported/Prod",
                "key": "k1",
                "uuid": "u1",
                "source": None,
                "reason": None,
                "fields": [],
            },
            {
                "action": "unchanged",
                "kind": "category",
                "name": "Prod",
                "category": "Imported",
                "key": "k2",
                "uuid": "u2",
                "source": None,
                "reason": None,
                "fields": [],
            },
            {
                "action": "conflict",
                "kind": "host",
                "name": "WEB2",
                "category": "Imported",
                "key": "k3",
                "uuid": "u3",
                "source": "b.csv:4",
                "reason": "an entry named 'WEB2' already exists",
                "fields": [],
            },
        ],
        "diagnostics": [
            {
                "level": "info",
                "code": "guess",
                "message": "assumed port 22",
                "file": "a.csv",
                "line": 3,
                "field": "port",
                "entry": "web9",
            },
            {
                "level": "error",
                "code": "bad-address",
                "message": "address is empty",
                "file": "a.csv",
                "line": 7,
                "field": "host",
                "entry": "row7",
            },
            {
                "level": "warning",
                "code": "unsafe-option",
                "message": "ProxyCommand dropped",
                "file": "config",
                "line": 12,
                "field": "ProxyCommand",
                "entry": "jump",
            },
        ],
        "apply": None,
    }


def test_every_document_value_is_escaped_in_text_and_attributes():
    doc = base_doc()
    doc["target"] = f"http://{HOSTILE}"
    doc["root_category"] = ATTR_HOSTILE
    change = doc["changes"][1]
    change.update(
        name=HOSTILE,
        category=ATTR_HOSTILE,
        reason=f"because {HOSTILE}",
        source=f"{HOSTILE}.csv:1",
        uuid=ATTR_HOSTILE,
        key=HOSTILE,
    )
    change["fields"] = [{"path": HOSTILE, "old": ATTR_HOSTILE, "new": HOSTILE}]
    diag = doc["diagnostics"][0]
    diag.update(message=HOSTILE, file=ATTR_HOSTILE, entry=HOSTILE, field=HOSTILE, code=HOSTILE, level=HOSTILE)
    doc["apply"] = {
        "created": 0,
        "failed": 1,
        "failures": [{"name": HOSTILE, "kind": "host", "error": ATTR_HOSTILE}],
        "problems": [HOSTILE],
    }
    doc["probe"] = [{"name": HOSTILE, "host": "h", "port": 22, "status": HOSTILE, "banner": ATTR_HOSTILE}]
    doc[HOSTILE] = {HOSTILE: [ATTR_HOSTILE, {"k": HOSTILE}]}
    doc["changes"].append(dict(change, action=HOSTILE))
    text = render_html_document(doc)
    page = parse(text)
    assert "<script" not in text and "<img" not in text
    assert not page.find("script") and not page.find("img")
    body = page.all_text()
    assert body.count(HOSTILE) >= 20 and body.count(ATTR_HOSTILE) >= 5
    names = [a for a in page.find("td") if "title" in a]
    assert {"title": f"key {HOSTILE}; uuid {ATTR_HOSTILE}"} in names
    for attrs in (a for _, a in page.tags):
        for name, value in attrs.items():
            assert name in (
                "lang",
                "charset",
                "http-equiv",
                "content",
                "name",
                "class",
                "id",
                "title",
                "type",
                "for",
                "checked",
            ), name
            if name in ("class", "id", "for"):
                assert value is None or all(c.isalnum() or c in " -_" for c in value), value


def test_page_is_self_contained_and_declares_its_charset():
    text = render_html_document(base_doc())
    page = parse(text)
    head = text.split("</head>")[0]
    assert head.index('<meta charset="utf-8">') < head.index("<title>")
    csp = page.find("meta", **{"http-equiv": "Content-Security-Policy"})
    assert csp and "default-src 'none'" in csp[0]["content"]
    for needle in ("src=", "href=", "<link", "<script", "@import", "url(", 'http-equiv="refresh"'):
        assert needle not in text, needle
    assert all(t != "a" for t, _ in page.tags)


def test_changes_table_shows_symbols_details_and_filters():
    page = parse(render_html_document(base_doc()))
    changes = page.section("changes")
    assert "+create host web9 Imported/Prod from a.csv:9" in changes
    assert "~update host db1 Imported/Prod port: 22→2200 host: none→db1.x from a.csv:2" in changes
    assert "!conflict host WEB2 Imported an entry named 'WEB2' already exists from b.csv:4" in changes
    assert "=unchanged host web1" in changes
    rows = {a["class"] for a in page.find("tr") if a.get("class", "").startswith("row-")}
    assert rows == {"row-create", "row-update", "row-unchanged", "row-conflict"}
    boxes = {a["id"]: "checked" in a for a in page.find("input", type="checkbox")}
    assert boxes == {"show-create": True, "show-update": True, "show-unchanged": False, "show-conflict": True}
    assert [a["for"] for a in page.find("label")] == list(boxes)
    assert "unchanged (2)" in changes


def test_all_unchanged_plan_says_so_and_hides_nothing():
    doc = base_doc()
    doc["changes"] = [c for c in doc["changes"] if c["action"] == "unchanged"]
    text = render_html_document(doc)
    page = parse(text)
    assert "No changes: the vault already matches the sources." in page.section("changes")
    assert not page.find("input")
    assert "web1" in page.section("changes") and "Prod" in page.section("changes")


def test_unknown_actions_summary_keys_and_sections_render_generically():
    doc = base_doc()
    doc["summary"].update(delete=1, drift=2, teleport=1)
    doc["changes"] += [
        {
            "action": "delete",
            "kind": "host",
            "name": "old1",
            "category": "Imported",
            "key": "k9",
            "uuid": "u9",
            "source": None,
            "reason": "no longer in any source",
            "fields": [],
        },
        {
            "action": "quarantine",
            "kind": "host",
            "name": "old2",
            "category": "Imported/Quarantine",
            "key": "k8",
            "uuid": "u8",
            "source": None,
            "reason": "kept for 30 days",
            "fields": [],
            "until": "2030-01-01",
        },
        {
            "action": "teleport",
            "kind": "gizmo",
            "name": "zz9",
            "category": "Imported",
            "key": "k7",
            "uuid": None,
            "source": None,
            "reason": None,
            "fields": [{"path": "host", "old": "a.example", "new": "b.example", "drift": True, "seen": "ui"}],
        },
    ]
    doc["identities"] = {"created": 2, "shared": ["ops@prod", "ops@db"]}
    doc["fingerprints"] = [{"host": "db1.example.net", "type": "ssh-ed25519", "sha256": "SHA256:abc"}]
    text = render_html_document(doc)
    page = parse(text)
    assert "delete" in page.title and "2 drift" in page.title and "1 teleport" in page.title
    summary = page.section("summary")
    assert "-delete 1" in summary and "drift 2" in summary and "teleport 1" in summary
    changes = page.section("changes")
    assert "-delete host old1 Imported no longer in any source" in changes
    assert "⊘quarantine host old2 Imported/Quarantine kept for 30 days until: 2030-01-01" in changes
    assert "•teleport gizmo zz9 Imported host: a.example→b.example drift seen: ui" in changes
    assert page.find("input", id="show-teleport") and page.find("tr", **{"class": "row-teleport"})
    assert "#show-teleport:not(:checked) ~ table tr.row-teleport" in text
    assert "created 2" in page.section("extra-identities") and "ops@db" in page.section("extra-identities")
    fingerprints = page.section("extra-fingerprints")
    assert "host type sha256 db1.example.net ssh-ed25519 SHA256:abc" in fingerprints


def test_probe_results_render_as_a_table_with_status_colours():
    doc = base_doc()
    doc["probe"] = [
        {
            "name": "db1",
            "host": "db1.example.net",
            "port": 22,
            "status": "ok",
            "banner": "SSH-2.0-OpenSSH_9.2",
            "host_key_type": "ssh-ed25519",
            "host_key_fingerprint": "SHA256:Zm9v",
            "seconds": 0.031,
            "message": None,
        },
        {
            "name": "web9",
            "host": "web9.example.net",
            "port": 2222,
            "status": "timeout",
            "banner": None,
            "host_key_type": None,
            "host_key_fingerprint": None,
            "seconds": 5.0,
            "message": "no answer in 5 s",
            "attempts": 3,
        },
        {
            "name": "odd",
            "host": "odd.example.net",
            "port": 22,
            "status": "weird",
            "banner": None,
            "host_key_type": None,
            "host_key_fingerprint": None,
            "seconds": 0.2,
            "message": None,
        },
    ]
    page = parse(render_html_document(doc))
    probe = page.section("probe")
    assert probe.startswith("Probe (3) 1 ok, 1 timeout, 1 weird")
    assert (
        "name host port status banner host key type host key fingerprint seconds message attempts "
        "db1 db1.example.net 22 ok SSH-2.0-OpenSSH_9.2 ssh-ed25519 SHA256:Zm9v 0.031 none"
    ) in probe
    assert "web9 web9.example.net 2222 timeout none none none 5.0 no answer in 5 s 3" in probe
    statuses = [a["class"] for a in page.find("td") if a.get("class", "").startswith("status-")]
    assert statuses == ["status-good", "status-bad", "status-other"]


def test_no_probe_section_without_probe_data():
    page = parse(render_html_document(base_doc()))
    assert page.find("section", id="probe") == []
    assert [a["id"] for a in page.find("section")] == ["summary", "changes", "diagnostics"]


def test_diagnostics_are_grouped_by_level_with_their_location():
    doc = base_doc()
    doc["diagnostics"].append(
        {
            "level": "notice",
            "code": "x",
            "message": "custom level",
            "file": None,
            "line": 4,
            "field": None,
            "entry": None,
        }
    )
    page = parse(render_html_document(doc))
    diags = page.section("diagnostics")
    order = [diags.index(h) for h in ("Errors (1)", "Warnings (1)", "Notes (1)", "notice (1)")]
    assert order == sorted(order)
    assert "a.csv:7 [row7] field host bad-address address is empty" in diags
    assert "config:12 [jump] field ProxyCommand unsafe-option ProxyCommand dropped" in diags
    assert "line 4 x custom level" in diags
    assert [a["class"] for a in page.find("h3")][:3] == ["level-error", "level-warning", "level-info"]


def test_apply_failures_and_problems_are_listed():
    doc = base_doc()
    doc["apply"] = {
        "created": 1,
        "updated": 0,
        "recreated": 0,
        "unchanged": 2,
        "skipped": 1,
        "failed": 1,
        "requests": 9,
        "write_requests": 2,
        "encrypt_requests": 1,
        "seconds": 0.5,
        "entries_per_second": None,
        "failures": [{"name": "db1", "kind": "host", "error": "HTTP 500 from /store/add"}],
        "problems": ["read-back of web9 differs in port"],
    }
    page = parse(render_html_document(doc))
    assert page.title.endswith("1 conflict, 1 failed")
    applied = page.section("apply")
    assert "failed 1" in applied and "entries per second none" in applied
    assert "Failures (1) name kind error db1 host HTTP 500 from /store/add" in applied
    assert "Problems (1) read-back of web9 differs in port" in applied


def test_a_document_of_another_schema_renders_whatever_it_holds():
    doc = {
        "schema": "xpipe-migrate/audit",
        "version": 1,
        "target": "http://127.0.0.1:1",
        "entries": [{"name": "db1", "status": "managed"}, {"name": "x", "status": "foreign", "note": "<b>"}],
        "summary": {"managed": 1, "foreign": 1},
        "empty": [],
        "nothing": None,
    }
    page = parse(render_html_document(doc))
    assert page.title == "xpipe-migrate audit: http://127.0.0.1:1 — 1 managed, 1 foreign"
    assert "name status note db1 managed x foreign <b>" in page.section("extra-entries")
    assert [a["id"] for a in page.find("section")] == ["summary", "extra-entries"]


def test_rendering_does_not_modify_the_document():
    doc = base_doc()
    doc["probe"] = [{"name": "a", "status": "ok"}]
    before = copy.deepcopy(doc)
    render_html_document(doc)
    assert doc == before


# -- the page in a real browser ---------------------------------------------------------------


def _chromium_or_skip() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    if os.environ.get(REQUIRE_CHROMIUM) == "1":
        pytest.fail(f"{REQUIRE_CHROMIUM}=1 but {CHROMIUM} does not exist (apt-get install chromium)")
    pytest.skip(f"{CHROMIUM} is not installed; set {REQUIRE_CHROMIUM}=1 to make this a failure")


def _chromium(binary: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    command = [
        str(binary),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=180, env={**os.environ, "HOME": str(profile)}
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def _png_facts(data: bytes) -> tuple[int, int, int]:
    """Width, height and number of distinct byte values in the decoded image data."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", chunk[:8])
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def test_report_renders_in_headless_chromium(tmp_path):
    binary = _chromium_or_skip()
    with simulated_client(tmp_path) as client:
        _, (plan, result) = plan_apply_and_change(client)
    doc = plan_document(plan, result)
    doc["probe"] = [
        {
            "name": "db1",
            "host": "db1.example.net",
            "port": 22,
            "status": "ok",
            "banner": "SSH-2.0-OpenSSH_9.2p1",
            "host_key_type": "ssh-ed25519",
            "host_key_fingerprint": "SHA256:q7Lh1bT0",
            "seconds": 0.012,
            "message": None,
        }
    ]
    report = tmp_path / "report.html"
    report.write_text(render_html_document(doc), encoding="utf-8")
    profile = tmp_path / "profile"

    dom = _chromium(binary, profile, "--dump-dom", report.as_uri()).stdout
    page = Page(dom)
    text = " ".join(page.all_text().split())
    assert "xpipe-migrate apply" in text and "Summary" in text
    assert "web1" in text and "db1.example.net" in text and "SSH-2.0-OpenSSH_9.2p1" in text
    assert "~update" in text and "identity.identityStore.password" in text
    assert HOSTILE in page.section("changes")
    assert not page.find("script") and "&lt;script&gt;alert(1)" in dom
    assert f"write requests {doc['apply']['write_requests']}" in page.section("apply")
    for secret in (*PASSWORDS, "web-pw-ROTATED"):
        assert secret not in dom

    shot = tmp_path / "shot.png"
    _chromium(binary, profile, f"--screenshot={shot}", "--window-size=1280,900", report.as_uri())
    data = shot.read_bytes()
    width, height, distinct = _png_facts(data)
    assert (width, height) == (1280, 900)
    assert distinct > 32, "the screenshot is (nearly) blank"
