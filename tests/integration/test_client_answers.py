"""A misbehaving server: answers of the wrong shape and answers that trickle in.

Every answer the client reads is checked against its endpoint's model (``migrator.xpipe.answers``);
a wrong shape is one ``ProtocolError`` line naming the endpoint and the field, never the server's
values, and never ``internal error``. ``--timeout`` is a deadline for the whole response. The server
is a real ``http.server`` on 127.0.0.1 whose answers each test rewrites.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from helpers.paths import REPO_ROOT

from migrator.errors import ProtocolError, XPipeTimeout
from migrator.xpipe.auth import ApiKeyAuth
from migrator.xpipe.client import XPipeClient

ROOT = REPO_ROOT
SENTINEL = "SENTINEL-9f3a"  # a server value that must never be echoed
ENTRY = "11111111-1111-4111-8111-111111111111"
CAT = "bfb0b51a-e7a3-4ce4-8878-8d4cb5828d6c"

#: The well-formed answer of each endpoint (docs/xpipe-api.md §2), XPipe 23 dialect.
GOOD = {
    "/handshake": {"sessionToken": "tok"},
    "/daemon/version": {"version": "23.8", "canonicalVersion": "23.8", "buildVersion": "b", "jvmVersion": "j"},
    "/category/query": {"found": [CAT]},
    "/category/info": {"infos": [{"category": CAT, "parentCategory": None, "name": ["All connections"], "config": {}}]},
    "/connection/query": {"found": [ENTRY]},
    "/connection/info": {
        "infos": [
            {
                "connection": ENTRY,
                "category": ["default"],
                "name": ["web01"],
                "type": "ssh",
                "rawData": {"host": "web01.example.net"},
            }
        ]
    },
    "/connection/add": {"connection": ENTRY},
    "/category/add": {"category": CAT},
    "/secret/encrypt": {"encrypted": {"secret": {"type": "vault", "encryptedValue": "x"}}},
    "/secret/decrypt": {"decrypted": "pw"},
}

#: (endpoint, path to the field, what the field is). Paths index into GOOD.
FIELDS = [
    ("/handshake", ("sessionToken",), "token"),
    ("/daemon/version", ("version",), "str"),
    ("/category/query", ("found",), "uuids"),
    ("/category/info", ("infos",), "objects"),
    ("/category/info", ("infos", 0, "category"), "uuid"),
    ("/category/info", ("infos", 0, "name"), "strs"),
    ("/category/info", ("infos", 0, "parentCategory"), "uuid_or_null"),
    ("/connection/query", ("found",), "uuids"),
    ("/connection/info", ("infos",), "objects"),
    ("/connection/info", ("infos", 0, "connection"), "uuid"),
    ("/connection/info", ("infos", 0, "category"), "strs"),
    ("/connection/info", ("infos", 0, "name"), "strs"),
    ("/connection/info", ("infos", 0, "type"), "str"),
    ("/connection/info", ("infos", 0, "rawData"), "object"),
    ("/connection/add", ("connection",), "uuid"),
    ("/category/add", ("category",), "uuid"),
    ("/secret/encrypt", ("encrypted",), "object"),
    ("/secret/decrypt", ("decrypted",), "str"),
]

WRONG = [None, True, 7, 1.5, SENTINEL, "", [], [7], [SENTINEL, None], {}, {"k": SENTINEL}, [{}]]


def fits(kind: str, value) -> bool:
    """Whether ``value`` is a valid value of a field of ``kind`` (so not a wrong one)."""

    def is_uuid(v):
        return isinstance(v, str) and len(v) == 36 and v.count("-") == 4

    return {
        "token": isinstance(value, str) and value != "",
        "str": isinstance(value, str),
        "uuid": is_uuid(value),
        "uuid_or_null": value is None or is_uuid(value),
        "uuids": isinstance(value, list) and all(is_uuid(v) for v in value),
        "strs": isinstance(value, list) and all(isinstance(v, str) for v in value),
        "objects": isinstance(value, list) and all(isinstance(v, dict) for v in value) and value != [{}],
        "object": isinstance(value, dict),
    }[kind]


def cases():
    for endpoint, path, kind in FIELDS:
        for value in WRONG:
            if not fits(kind, value):
                yield endpoint, path, value
        yield endpoint, path[:-1] + ("missing",) if path[:-1] else ("missing",), ...
    for endpoint in GOOD:
        for value in (7, [], SENTINEL):
            yield endpoint, (), value


def answer_with(endpoint: str, path: tuple, value) -> dict:
    """GOOD with ``path`` of ``endpoint`` set to ``value`` (``...``: the field removed)."""
    answers = copy.deepcopy(GOOD)
    if not path:
        answers[endpoint] = value
        return answers
    node = answers[endpoint]
    for key in path[:-1]:
        node = node[key]
    if path[-1] == "missing" or value is ...:
        field = next(f for e, p, _ in FIELDS if e == endpoint and p[:-1] == path[:-1] for f in [p[-1]])
        del node[field]
    else:
        node[path[-1]] = value
    return answers


class Server:
    """An http.server on 127.0.0.1 answering POSTs from ``answers``; ``trickle`` sends bodies slowly."""

    def __init__(self):
        self.answers = copy.deepcopy(GOOD)
        self.trickle: float | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.dumps(server.answers.get(self.path, {})).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.trickle is None:
                    self.wfile.write(body)
                    return
                for i in range(min(len(body), 100)):  # bounded: 100 bytes at most
                    try:
                        self.wfile.write(body[i : i + 1])
                        self.wfile.flush()
                    except OSError:
                        return
                    time.sleep(server.trickle)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)


@pytest.fixture(scope="module")
def running():
    with Server() as s:
        yield s


@pytest.fixture
def server(running):
    """The module's server with well-formed, prompt answers again."""
    running.answers, running.trickle = copy.deepcopy(GOOD), None
    return running


def exercise(client: XPipeClient, endpoint: str) -> None:
    """Call the client method that reads ``endpoint``'s answer."""
    client.connect()
    {
        "/handshake": lambda: None,
        "/daemon/version": lambda: None,
        "/category/query": lambda: client.query_categories(),
        "/category/info": lambda: client.category_info([CAT]),
        "/connection/query": lambda: client.query_stores(),
        "/connection/info": lambda: client.store_info([ENTRY]),
        "/connection/add": lambda: client.add_store("web01", {"type": "ssh"}, category=CAT),
        "/category/add": lambda: client.add_category("prod", CAT),
        "/secret/encrypt": lambda: client.encrypt("pw"),
        "/secret/decrypt": lambda: client.decrypt({"secret": {"type": "vault", "encryptedValue": "y"}}),
    }[endpoint]()


def test_good_answers_pass(server):
    with XPipeClient(server.url, ApiKeyAuth("k"), retries=0) as client:
        for endpoint in GOOD:
            exercise(client, endpoint)


@pytest.mark.parametrize(("endpoint", "path", "value"), list(cases()), ids=repr)
def test_a_wrong_shape_is_one_protocol_error_line(server, endpoint, path, value):
    server.answers = answer_with(endpoint, path, value)
    with XPipeClient(server.url, ApiKeyAuth("k"), retries=0) as client, pytest.raises(ProtocolError) as info:
        exercise(client, endpoint)
    message = str(info.value)
    assert message.startswith(f"XPipe's {endpoint} answer: ") and "\n" not in message
    field = next((p for p in path if isinstance(p, str) and p != "missing"), None)
    if field is not None:
        assert f"field {field}" in message or f".{field}" in message
    assert SENTINEL not in message and "7" not in message.split(": ", 1)[1]


def plan_on(server: Server, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    source = tmp_path / "servers.csv"
    source.write_text("name,host,user,folder\nweb01,web01.example.net,ops,Prod\n", encoding="utf-8")
    key = tmp_path / "api-key"
    key.write_text("k")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "migrator",
            "--no-progress",
            "plan",
            str(source),
            "--target",
            server.url,
            "--api-key-file",
            str(key),
            *extra,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env=os.environ.copy(),
    )


#: One wrong value per field the ``plan`` command reads, cycling through WRONG.
PLAN_CASES = [
    (e, p, [v for v in WRONG if not fits(k, v)][i % 3])
    for i, (e, p, k) in enumerate(FIELDS)
    if e
    in ("/handshake", "/daemon/version", "/category/query", "/category/info", "/connection/query", "/connection/info")
]


@pytest.mark.parametrize(("endpoint", "path", "value"), PLAN_CASES, ids=repr)
def test_cli_exits_with_the_protocol_error_code(server, tmp_path, endpoint, path, value):
    server.answers = answer_with(endpoint, path, value)
    proc = plan_on(server, tmp_path)
    assert proc.returncode == ProtocolError.exit_code == 5, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and f"XPipe's {endpoint} answer" in lines[0], proc.stderr
    assert "internal error" not in proc.stderr and SENTINEL not in proc.stderr + proc.stdout


def test_a_trickling_answer_hits_the_whole_response_deadline(server):
    server.trickle = 0.3  # one byte every 0.3 s: each socket read is quick, the whole answer is not
    started = time.monotonic()
    with XPipeClient(server.url, ApiKeyAuth("k"), timeout=1.0, first_timeout=1.0, retries=0) as client:
        with pytest.raises(XPipeTimeout, match="within 1 s"):
            client.connect()
    assert time.monotonic() - started < 10  # generous bound: the answer alone would take 10+ s


@pytest.mark.parametrize("transport", ["quickack", "close", "keepalive"])
def test_the_deadline_holds_in_every_transport(server, transport):
    with XPipeClient(
        server.url, ApiKeyAuth("k"), timeout=1.0, first_timeout=5.0, retries=0, transport=transport
    ) as client:
        client.connect()  # quick answers pass and leave the connection usable
        assert client.query_stores() == [ENTRY]
        server.trickle = 0.3
        with pytest.raises(XPipeTimeout):
            client.query_stores()


def test_cli_trickle_exits_5_with_one_line(server, tmp_path):
    server.trickle = 0.3
    proc = plan_on(server, tmp_path, "--timeout", "1", "--first-timeout", "1")
    assert proc.returncode == 5, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "did not answer" in lines[0], proc.stderr
