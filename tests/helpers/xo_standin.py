"""A stand-in for Xen Orchestra's REST API (``/rest/v0``), real HTTP on 127.0.0.1, both implementations.

``flavour="xo-server"`` answers like the REST mixin ``packages/xo-server/src/xo-mixins/rest-api.mjs``
(up to 2025), ``flavour="rest-api"`` like ``@xen-orchestra/rest-api`` (TSOA, after the 2025 change).
The differences modelled, read from XO's source:

=================  ==========================================  =============================================
                   xo-server mixin                              @xen-orchestra/rest-api
=================  ==========================================  =============================================
bad/no token       401 text/plain ``Unauthorized``              401 ``{"error":"invalid credentials"}`` +
                   (``res.sendStatus(401)``)                    ``WWW-Authenticate`` (generic error handler)
malformed filter   500 HTML (unhandled ``CM.parse`` error,      400 ``{"error":"parse error: ...","data":
                   Express's default error page)                {"stringToParse": ...}}`` (safeParseComplexMatcher)
ndjson             key present (any value)                      ``ndjson=true`` only; other values are 422
JSON framing       ``[\\n`` pretty objects ``,\\n`` ... ``\\n]\\n``  compact ``res.json``
root ``/rest/v0``  JSON list of collection hrefs                302 to ``/rest/v0/docs``
bad ``limit``      ``Number()`` -> NaN, no limit                422 (TSOA validation)
=================  ==========================================  =============================================

Common: ``authenticationToken`` (or ``token``) cookie; no ``fields`` -> list of hrefs; ``fields=*``
-> everything plus ``href``; ``fields=a,b`` -> those keys plus ``href``; ``filter`` before ``limit``;
an unknown path is Express's 404 ``Cannot GET``. ``filter`` is a port of the grammar of
``packages/complex-matcher`` (strings, globs, quoted strings, regexes, ``prop:``, ``prop?``, ``!``,
``(...)``, ``|(...)``, ``<``/``>`` comparisons) sufficient for the tests.
"""

from __future__ import annotations

import json
import re
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from helpers.paths import REPO_ROOT

SAMPLES = REPO_ROOT / "samples" / "xo"
LEGACY, TSOA = "xo-server", "rest-api"
COLLECTIONS = (
    "alarms",
    "backup",
    "dashboard",
    "groups",
    "hosts",
    "messages",
    "networks",
    "pifs",
    "pools",
    "restore",
    "servers",
    "srs",
    "tasks",
    "users",
    "vbds",
    "vdi-snapshots",
    "vdis",
    "vifs",
    "vm-controllers",
    "vm-snapshots",
    "vm-templates",
    "vms",
)
EXPRESS_500 = (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n'
    "</head>\n<body>\n<pre>Internal Server Error</pre>\n</body>\n</html>\n"
)


def load_samples() -> tuple[list[dict], list[dict]]:
    return (
        json.loads((SAMPLES / "vms.json").read_text(encoding="utf-8")),
        json.loads((SAMPLES / "pools.json").read_text(encoding="utf-8")),
    )


# -- complex-matcher (subset port, for the stand-in only) ---------------------------------------------


class ParseError(Exception):
    pass


def _truthy(v) -> bool:
    return v is not None and v is not False and v != 0 and v != ""


def _some(v, pred) -> bool:
    if isinstance(v, list):
        return any(pred(x) for x in v)
    if isinstance(v, dict):
        return any(pred(x) for x in v.values())
    return False


def _raw_char(c: str) -> bool:
    return c.isdigit() or c in "_-.$" or c.upper() != c.lower()


class _Parser:
    def __init__(self, text: str):
        self.s = text

    def ws(self, i: int) -> int:
        while i < len(self.s) and self.s[i].isspace():
            i += 1
        return i

    def raw(self, i: int, glob=False):
        j = i
        while j < len(self.s) and (_raw_char(self.s[j]) or (glob and self.s[j] == "*")):
            j += 1
        return (self.s[i:j], j) if j > i else None

    def quoted(self, i: int):
        if i >= len(self.s) or self.s[i] != '"':
            return None
        i += 1
        out = []
        while i < len(self.s) and self.s[i] != '"':
            if self.s[i] == "\\":
                i += 1
            if i < len(self.s):
                out.append(self.s[i])
            i += 1
        return "".join(out), i + 1

    def terms(self, i: int, minimum: int):
        out = []
        while (t := self.term(i)) is not None:
            out.append(t[0])
            i = t[1]
        return (out, i) if len(out) >= minimum else None

    def term(self, i: int):
        r = self._term(i)
        return None if r is None else (r[0], self.ws(r[1]))

    def _term(self, i: int):
        s = self.s
        for opener, make in (
            ("(", lambda ts: lambda v: all(t(v) for t in ts)),
            ("|(", lambda ts: lambda v: any(t(v) for t in ts)),
        ):
            if s.startswith(opener, i):
                inner = self.terms(self.ws(i + len(opener)), 1)
                if inner and s.startswith(")", inner[1]):
                    return make(inner[0]), inner[1] + 1
        if s.startswith("!", i):
            t = self.term(self.ws(i + 1))
            if t:
                return (lambda child: lambda v: not child(v))(t[0]), t[1]
        m = re.compile(r"[<>]=?").match(s, i)
        if m and (val := self.raw(m.end())):
            try:
                n = float(val[0])
            except ValueError:
                n = None
            if n is not None:
                ops = {">": n.__lt__, ">=": n.__le__, "<": n.__gt__, "<=": n.__ge__}
                op = ops[m.group()]
                return (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and op(v)), val[1]
        prop = self.quoted(i) or self.raw(i)
        if prop:
            j = self.ws(prop[1])
            if s.startswith(":", j):
                t = self.term(self.ws(j + 1))
                if t:
                    name, child = prop[0], t[0]
                    return (lambda v: isinstance(v, dict) and child(v.get(name))), t[1]
            if s.startswith("?", prop[1]):
                name = prop[0]
                return (lambda v: isinstance(v, dict) and _truthy(v.get(name))), prop[1] + 1
        return self.value(i)

    def value(self, i: int):
        q = self.quoted(i)
        if q:
            return _contains(q[0]), q[1]
        if i < len(self.s) and self.s[i] == "/":
            j, pattern = i + 1, ""
            while j < len(self.s) and (self.s[j] != "/" or pattern.endswith("\\")):
                pattern += self.s[j]
                j += 1
            if j < len(self.s):
                flags = re.I if self.s[j + 1 : j + 2] == "i" else 0
                rx = re.compile(pattern, flags)
                return _deep(lambda v: isinstance(v, str) and rx.search(v) is not None), j + 1 + (1 if flags else 0)
        g = self.raw(i, glob=True)
        if g:
            text = g[0]
            if "*" in text:
                rx = re.compile(".*".join(re.escape(p) for p in text.split("*")), re.I)
                return _deep(lambda v: isinstance(v, str) and rx.search(v) is not None), g[1]
            return _contains(text), g[1]
        return None


def _deep(pred):
    def match(v):
        return pred(v) or _some(v, match)

    return match


def _contains(text: str):
    low = text.lower()
    try:
        num = float(text)
    except ValueError:
        num = None

    def match(v):
        if num is not None and isinstance(v, (int, float)) and not isinstance(v, bool) and v == num:
            return True
        if isinstance(v, str):
            return low in v.lower()
        return _some(v, match)

    return match


def parse_filter(text: str):
    """A predicate for ``text``; raises ParseError with complex-matcher's message."""
    p = _Parser(text)
    out = p.terms(p.ws(0), 0)
    terms, pos = out
    if pos < len(text):
        raise ParseError(f"parse error: expected end of input at position {pos}")
    return lambda v: all(t(v) for t in terms)


# -- the HTTP server -----------------------------------------------------------------------------------


class XoStandIn:
    """``with XoStandIn(flavour=...) as xo: xo.url``; ``xo.requests`` records what was asked."""

    def __init__(
        self,
        flavour: str = TSOA,
        *,
        token: str = "xo-standin-token-0123456789abcdef",
        vms: list[dict] | None = None,
        pools: list[dict] | None = None,
        tls: tuple[str, str] | None = None,
        delay: float = 0.0,
        drip: float = 0.0,
    ):
        if flavour not in (LEGACY, TSOA):
            raise ValueError(flavour)
        sample_vms, sample_pools = load_samples()
        self.flavour = flavour
        self.token = token
        self.vms = sample_vms if vms is None else vms
        self.pools = sample_pools if pools is None else pools
        self.delay = delay
        self.drip = drip
        self.requests: list[dict] = []
        self.stop = threading.Event()
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.standin = self
        scheme = "http"
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> XoStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A client that hangs up mid-answer (the timeout and cap tests do) is not an error here."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    @property
    def xo(self) -> XoStandIn:
        return self.server.standin

    def _send(self, status: int, body: bytes | str, ctype: str, headers: dict | None = None) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, doc, headers: dict | None = None) -> None:
        if self.xo.flavour == LEGACY and isinstance(doc, list):
            body = "[" + ("\n" + ",\n".join(json.dumps(o, indent=2) for o in doc) if doc else "") + "\n]\n"
        else:
            body = json.dumps(doc, separators=(",", ":"))
        self._send(status, body, "application/json; charset=utf-8", headers)

    def _cookies(self) -> dict[str, str]:
        out = {}
        for part in (self.headers.get("Cookie") or "").split(";"):
            k, sep, v = part.strip().partition("=")
            if sep:
                out[k] = v
        return out

    def _authenticated(self) -> bool:
        cookies = self._cookies()
        token = cookies.get("authenticationToken", cookies.get("token"))
        if token == self.xo.token:
            return True
        if self.xo.flavour == LEGACY:
            self._send(401, "Unauthorized", "text/plain; charset=utf-8")
        else:
            self._json(401, {"error": "invalid credentials"}, {"WWW-Authenticate": 'Basic realm="xo"'})
        return False

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        self.xo.requests.append(
            {
                "path": parts.path,
                "query": query,
                "cookies": self._cookies(),
                "authorization": self.headers.get("Authorization"),
            }
        )
        if self.xo.delay:
            self.xo.stop.wait(self.xo.delay)
        path = parts.path.rstrip("/")
        if path == "/rest/v0":
            return self._root(query)
        m = re.fullmatch(r"/rest/v0/(vms|pools)", path)
        if not m:
            return self._send(
                404,
                f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error'
                f"</title>\n</head>\n<body>\n<pre>Cannot GET {parts.path}</pre>\n</body>\n</html>\n",
                "text/html; charset=utf-8",
            )
        if not self._authenticated():
            return None
        return self._collection(m.group(1), query)

    def _root(self, query: dict) -> None:
        cookies = self._cookies()
        if self.xo.flavour == TSOA and "authenticationToken" not in cookies and "token" not in cookies:
            return self._send(
                302, "Found. Redirecting to /rest/v0/docs", "text/plain; charset=utf-8", {"Location": "/rest/v0/docs"}
            )
        if not self._authenticated():
            return None
        if self.xo.flavour == TSOA:
            return self._send(
                302, "Found. Redirecting to /rest/v0/docs", "text/plain; charset=utf-8", {"Location": "/rest/v0/docs"}
            )
        return self._json(200, [f"/rest/v0/{c}" for c in COLLECTIONS])

    def _collection(self, name: str, query: dict) -> None:
        legacy = self.xo.flavour == LEGACY
        objects = self.xo.vms if name == "vms" else self.xo.pools
        if "filter" in query:
            try:
                pred = parse_filter(query["filter"])
            except ParseError as exc:
                if legacy:
                    return self._send(500, EXPRESS_500, "text/html; charset=utf-8")
                return self._json(400, {"error": str(exc), "data": {"stringToParse": query["filter"]}})
            objects = [o for o in objects if pred(o)]
        if "limit" in query:
            try:
                limit = int(query["limit"])
            except ValueError:
                if not legacy:
                    return self._json(
                        422, {"error": "invalid parameters", "data": {"limit": {"message": "invalid float number"}}}
                    )
                limit = None
            if limit is not None:
                objects = objects[:limit]
        if "ndjson" in query and not legacy and query["ndjson"] not in ("true", "false"):
            return self._json(
                422, {"error": "invalid parameters", "data": {"ndjson": {"message": "invalid boolean value"}}}
            )
        mapped = [self._pick(o, name, query.get("fields")) for o in objects]
        ndjson = "ndjson" in query if legacy else query.get("ndjson") == "true"
        if not ndjson:
            return self._json(200, mapped)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for obj in mapped:
            if self.xo.drip and self.xo.stop.wait(self.xo.drip):
                break
            line = (json.dumps(obj) + "\n").encode("utf-8")
            self.wfile.write(f"{len(line):x}\r\n".encode() + line + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    @staticmethod
    def _pick(obj: dict, collection: str, fields: str | None):
        href = f"/rest/v0/{collection}/{obj['id']}"
        if fields is None:
            return href
        if fields == "*":
            return {**obj, "href": href}
        return {**{k: obj[k] for k in fields.split(",") if k in obj}, "href": href}
