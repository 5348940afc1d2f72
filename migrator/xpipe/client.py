"""A thin, predictable client for XPipe's HTTP API (both the 23.x and the 24 dialect).

One ``requests.Session`` whose transport never waits for a delayed ACK (``migrator.xpipe.transport``),
redirects never followed (XPipe answers unknown paths with 303), a timeout on every call, retries
only for connection-level failures, and one exception class per failure (``migrator.errors``).
Bodies are never logged: they carry secrets.

The client may be called from several threads at once (the loader keeps a few storage requests in
flight, ``migrator.apply.window``): each thread takes its own keep-alive connection from the pool,
and the counters, the session token and the memory of sent secrets are guarded by one lock.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable

import requests
from requests.cookies import RequestsCookieJar
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from migrator import __version__
from migrator.errors import (
    ApiDisabled,
    AuthenticationFailed,
    BadRequest,
    ConnectionLost,
    DaemonUnreachable,
    ProtocolError,
    ServerError,
    UnsupportedEndpoint,
    XPipeError,
    XPipeTimeout,
)
from migrator.redact import credential_strings, redact_server_text
from migrator.xpipe import answers
from migrator.xpipe import transport as transports
from migrator.xpipe.auth import Auth
from migrator.xpipe.batches import INFO_BATCH, batched
from migrator.xpipe.constants import CLIENT_NAME
from migrator.xpipe.dialect import Dialect, dialect_for

log = logging.getLogger(__name__)

API_DISABLED_HELP = (
    "XPipe's HTTP API is disabled: enable it in XPipe under Settings > HTTP API > 'Enable HTTP API', then run again"
)

#: Connections kept per daemon: the loader's window of writes, the encryption stage and a check.
POOL_CONNECTIONS = 8

#: Endpoints that change the vault; counted separately so a no-op re-run can be proven.
WRITE_OPS = {"add", "remove", "refresh", "category/add", "category/remove"}


class XPipeClient:
    """Talks to one XPipe daemon. Call :meth:`connect` first (handshake + version negotiation)."""

    def __init__(
        self,
        base_url: str,
        auth: Auth,
        *,
        timeout: float = 30.0,
        first_timeout: float = 300.0,
        retries: int = 3,
        backoff: float = 0.5,
        verify: bool | str = True,
        proxies: dict | None = None,
        dialect: str | None = None,
        observer: Callable[[str, dict | None], None] | None = None,
        transport: str = "auto",
    ):
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.timeout = timeout
        self.first_timeout = first_timeout
        self.retries = retries
        self.backoff = backoff
        self.dialect_override = dialect
        self.observer = observer
        self.session = requests.Session()
        # XPipe listens on loopback; proxies from the environment would only get in the way.
        self.session.trust_env = False
        self.session.verify = verify
        if proxies:
            self.session.proxies.update(proxies)
        self.session.headers["User-Agent"] = f"{CLIENT_NAME}/{__version__}"
        self.transport = transports.configure(self.session, transport, pool=POOL_CONNECTIONS)
        self._lock = threading.Lock()  # counters, sent secrets, the plaintext memory
        self._handshaking = threading.RLock()  # one handshake at a time
        self._token: str | None = None
        self._sent_secrets: set[str] = set()  # credentials sent so far, masked in anything the server says
        self._answered = False
        self.version_info: dict = {}
        self.dialect: Dialect | None = None
        self.calls: Counter[str] = Counter()
        self.seconds = 0.0
        self._plain: dict[str, str] = {}

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def requests_made(self) -> int:
        with self._lock:
            return sum(self.calls.values())

    @property
    def writes_made(self) -> int:
        with self._lock:
            return sum(n for op, n in self.calls.items() if op in WRITE_OPS)

    def _counted(self, op: str, body) -> None:
        with self._lock:
            self.calls[op] += 1
            self._sent_secrets |= credential_strings(body)

    def close(self) -> None:
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _prepare(self, path: str, data: bytes, token: str | None) -> requests.PreparedRequest:
        """The request, prepared directly and later handed to the session's adapter: the session's
        merging of cookies, auth, hooks and environment settings (none of which this client uses)
        costs about as much CPU as a loopback round trip. Redirects are never followed anyway."""
        headers = CaseInsensitiveDict(self.session.headers)
        headers["Content-Type"] = "application/json"
        headers["Content-Length"] = str(len(data))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        prepared = requests.PreparedRequest()
        prepared.method = "POST"
        prepared.url = self.base_url + path
        prepared.headers = headers
        prepared.body = data
        prepared.hooks = {"response": []}
        prepared._cookies = RequestsCookieJar()
        return prepared

    def _send(self, path: str, body: dict | None, token: str | None, write: bool = False) -> requests.Response:
        """One request, retried with backoff while no connection can be opened. Once a request may have
        reached XPipe, a read is retried but a write never is (``write``): its outcome is unknown, and
        the caller checks the vault instead (``ConnectionLost``, ``outcome_unknown``)."""
        data = json.dumps(body if body is not None else {}).encode("utf-8")
        timeout = self.timeout if self._answered else self.first_timeout
        attempt = 0
        while True:
            started = time.perf_counter()
            # The timeout is a deadline for the whole response (status line, headers, body): the
            # transport gives each socket read only the time left, so a trickling server cannot hold us.
            at = time.monotonic() + timeout
            timed_out = XPipeTimeout(
                f"XPipe at {self.base_url} did not answer {path} within {timeout:g} s "
                "(is it showing a dialog, or still starting?)",
                endpoint=path,
            )
            try:
                prepared = self._prepare(path, data, token)
                with transports.deadline(at):
                    resp = self.session.get_adapter(prepared.url).send(
                        prepared, stream=True, timeout=timeout, verify=self.session.verify, proxies=self.session.proxies
                    )
                    resp.content  # noqa: B018 - read the body now, under the deadline
                self._spent(started)
                if transports.expired(at):
                    raise timed_out  # a transport without the deadline reader (https) is checked here
                self._answered = True
                return resp
            except requests.Timeout as exc:
                self._spent(started)
                timed_out.outcome_unknown = not isinstance(exc, requests.ConnectTimeout)
                raise timed_out from None
            except requests.RequestException as exc:
                self._spent(started)
                if transports.expired(at):
                    raise timed_out from None
                if not isinstance(exc, requests.ConnectionError):
                    raise ProtocolError(f"XPipe's answer to {path} broke off or is not HTTP", endpoint=path) from None
                if write and not _never_sent(exc):
                    raise ConnectionLost(
                        f"XPipe at {self.base_url} dropped the connection before answering {path}; "
                        "the write may or may not have been applied",
                        endpoint=path,
                    ) from None
                attempt += 1
                if attempt > self.retries:
                    raise DaemonUnreachable(
                        f"cannot connect to XPipe at {self.base_url} (is XPipe running?)", endpoint=path
                    ) from None
                time.sleep(self.backoff * 2 ** (attempt - 1))

    def _spent(self, started: float) -> None:
        with self._lock:
            self.seconds += time.perf_counter() - started

    @staticmethod
    def _message(resp: requests.Response) -> str:
        try:
            body = resp.json()
        except ValueError:
            return resp.text.strip()[:200]
        if isinstance(body, dict):
            if isinstance(body.get("message"), str):
                return body["message"]
            err = body.get("error")
            if isinstance(err, dict) and isinstance(err.get("message"), str):
                return err["message"]
        return ""

    def call(self, op: str, body: dict | None = None, *, path: str | None = None, authenticated: bool = True):
        """POST ``body`` to the endpoint of ``op`` and return the decoded JSON (None for an empty body).

        ``op`` is the neutral name used for counting (``query``, ``add``, ``category/add`` ...).
        """
        path = path or "/" + op
        token = self._session_token() if authenticated else None
        if self.observer:
            self.observer(path, body)
        self._counted(op, body)
        write = op in WRITE_OPS
        resp = self._send(path, body, token, write)
        if resp.status_code == 403 and authenticated and self._message(resp) == "Unknown token":
            # refused before any handler ran (docs/xpipe-api.md §1.5): resending a write is safe
            log.info("XPipe forgot our session (restarted?); handshaking again")
            token = self._renewed(token)
            self._counted(op, None)
            resp = self._send(path, body, token, write)
        return self._decode(resp, path)

    def _session_token(self) -> str:
        with self._handshaking:
            if self._token is None:
                self.handshake()
            return self._token

    def _renewed(self, stale: str | None) -> str:
        """A new session after ``stale`` was refused; one handshake however many threads saw the refusal."""
        with self._handshaking:
            if self._token is None or self._token == stale:
                self.handshake()
            return self._token

    def _decode(self, resp: requests.Response, path: str):
        status = resp.status_code
        if status == 200:
            if not resp.content.strip():
                return None
            try:
                return resp.json()
            except ValueError:
                raise ProtocolError(
                    f"XPipe answered {path} with something that is not JSON", status=status, endpoint=path
                ) from None
        if status in (301, 302, 303, 307, 308):
            raise UnsupportedEndpoint(
                f"XPipe at {self.base_url} has no endpoint {path} (answered {status}): "
                "this XPipe version does not offer it",
                status=status,
                endpoint=path,
            )
        message = redact_server_text(self._message(resp), self._sent_secrets)
        if status == 401:
            raise AuthenticationFailed(
                f"XPipe refused {path}: {message or 'not authorised'}", status=status, endpoint=path
            )
        if status == 403:
            if message == "Unknown token":
                raise AuthenticationFailed(
                    "XPipe does not accept our session even after a new handshake",
                    status=status,
                    endpoint=path,
                )
            raise ApiDisabled(API_DISABLED_HELP, status=status, endpoint=path)
        if status == 400:
            raise BadRequest(f"XPipe rejected {path}: {message}", server_message=message, status=status, endpoint=path)
        if status >= 500:
            raise ServerError(
                f"XPipe failed on {path}: {message or 'internal error'}",
                server_message=message,
                status=status,
                endpoint=path,
            )
        raise ProtocolError(f"XPipe answered {path} with HTTP {status}", status=status, endpoint=path)

    # -- session ----------------------------------------------------------------------------

    def handshake(self) -> None:
        with self._handshaking:
            self._handshake()

    def _handshake(self) -> None:
        body = {
            "auth": self.auth.handshake_auth(),
            "client": {"type": "Api", "name": CLIENT_NAME},
        }
        if self.observer:
            self.observer("/handshake", body)
        self._counted("handshake", body)
        resp = self._send("/handshake", body, None)
        if resp.status_code == 400 and self._message(resp) == "Authentication failed":
            raise AuthenticationFailed(
                f"XPipe refused the handshake with {self.auth.describe()} ({self.auth.hint})",
                status=400,
                endpoint="/handshake",
            )
        data = answers.check(answers.Handshake, self._decode(resp, "/handshake"), "/handshake")
        token = data["sessionToken"]
        with self._lock:
            self._sent_secrets.add(token)
        self._token = token

    def connect(self) -> XPipeClient:
        """Handshake, read the version and pick the API dialect (the version gate)."""
        self.handshake()
        self.version_info = self.daemon_version()
        self.dialect = dialect_for(str(self.version_info.get("version", "")), self.dialect_override)
        return self

    @property
    def xpipe_version(self) -> str:
        return str(self.version_info.get("version", "?"))

    def _d(self) -> Dialect:
        if self.dialect is None:
            self.connect()
        return self.dialect

    # -- endpoints --------------------------------------------------------------------------

    def daemon_version(self) -> dict:
        return answers.check(answers.DaemonVersion, self.call("daemon/version", {}), "/daemon/version")

    def query_stores(self, category: str = "**", name: str = "**", type_: str = "*") -> list[str]:
        d = self._d()
        body = {"categoryFilter": category, d.filter_field: name, "typeFilter": type_}
        data = answers.check(answers.Found, self.call("query", body, path=d.path("query")), d.path("query"))
        return list(data["found"])

    def store_info(self, uuids: Iterable[str], batch: int = INFO_BATCH) -> tuple[list[dict], list[str]]:
        """Info for each UUID as ``{"uuid": ..., "category", "name", "type", "rawData", ...}``.

        Returns ``(infos, missing)``: UUIDs that vanished between query and info are split out of
        the batch (XPipe fails a whole batch for one unknown UUID) and reported as missing.
        """
        d = self._d()

        def fetch(chunk: list[str]) -> list[dict]:
            data = self.call("info", {d.many: chunk}, path=d.path("info"))
            answers.check(answers.STORE_INFOS[d.one], data, d.path("info"))
            out = []
            for item in data["infos"]:
                item = dict(item)
                item["uuid"] = item.pop(d.one)
                out.append(item)
            return out

        return batched(list(uuids), batch, fetch)

    def add_store(self, name: str, data: dict, *, category: str | None = None, validate: bool = False) -> str:
        d = self._d()
        body: dict = {"name": name, "data": data, "validate": validate}
        if category:
            body["category"] = category
        out = answers.check(answers.ADDED[d.one], self.call("add", body, path=d.path("add")), d.path("add"))
        return out[d.one]

    def remove_stores(self, uuids: Iterable[str]) -> None:
        d = self._d()
        self.call("remove", {d.many: list(uuids)}, path=d.path("remove"))

    def refresh_store(self, uuid: str) -> None:
        d = self._d()
        self.call("refresh", {d.one: uuid}, path=d.path("refresh"))

    def query_categories(self, pattern: str = "**") -> list[str]:
        data = answers.check(answers.Found, self.call("category/query", {"filter": pattern}), "/category/query")
        return list(data["found"])

    def category_info(self, uuids: Iterable[str], batch: int = INFO_BATCH) -> tuple[list[dict], list[str]]:
        def fetch(chunk: list[str]) -> list[dict]:
            data = answers.check(
                answers.CategoryInfos, self.call("category/info", {"categories": chunk}), "/category/info"
            )
            out = []
            for item in data["infos"]:
                item = dict(item)
                item["uuid"] = item.pop("category")
                out.append(item)
            return out

        return batched(list(uuids), batch, fetch)

    def add_category(self, name: str, parent: str) -> str:
        out = self.call("category/add", {"name": name, "parent": parent})
        return answers.check(answers.CategoryAdded, out, "/category/add")["category"]

    def remove_categories(self, uuids: Iterable[str], *, children: bool = False, contents: bool = False) -> None:
        self.call(
            "category/remove",
            {"categories": list(uuids), "removeChildrenCategories": children, "removeContents": contents},
        )

    def encrypt(self, value: str) -> dict:
        out = answers.check(answers.Encrypted, self.call("secret/encrypt", {"value": value}), "/secret/encrypt")
        node = out["encrypted"]
        self._plain[_node_key(node)] = value
        return node

    def decrypt(self, node: dict) -> str:
        """The plaintext of ``node``; nodes this client encrypted or decrypted before are answered
        from memory (never persisted), so reading back what was just written costs no request."""
        key = _node_key(node)
        if key in self._plain:
            return self._plain[key]
        out = answers.check(answers.Decrypted, self.call("secret/decrypt", {"encrypted": node}), "/secret/decrypt")
        value = out["decrypted"]
        if value:
            self._plain[key] = value
        return value


def _never_sent(exc: requests.ConnectionError) -> bool:
    """True when the connection could not even be opened (refused, unreachable, connect timeout), so
    the request cannot have reached XPipe. A reset or close after connecting is not that."""
    inner = exc.args[0] if exc.args else None
    reason = getattr(inner, "reason", None) if isinstance(inner, MaxRetryError) else None
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


def _node_key(node: dict) -> str:
    return json.dumps(node, sort_keys=True, separators=(",", ":"))


def looks_like_xpipe(base_url: str, timeout: float = 1.0) -> bool:
    """True when ``base_url`` answers like XPipe: ``/daemon/version`` without a token gives 401 JSON.

    Probing this way sends no credential to whatever program listens on a fallback port.
    """
    try:
        with requests.Session() as s:
            s.trust_env = False
            resp = s.post(base_url + "/daemon/version", data=b"{}", timeout=timeout, allow_redirects=False)
    except requests.RequestException:
        return False
    if resp.status_code not in (401, 403, 200):
        return False
    try:
        body = resp.json()
    except ValueError:
        return False
    return isinstance(body, dict) and ("message" in body or "version" in body)


def discover(*, ptb: bool = False, env: dict | None = None, probe_timeout: float = 1.0) -> str:
    """Find a running XPipe: env port, else the standard port, else the fallback range (docs/xpipe-api.md §1.1)."""
    import os

    from migrator.xpipe.constants import DEFAULT_PORT, FALLBACK_PORTS, PTB_PORT

    env = os.environ if env is None else env
    candidates: list[int] = []
    explicit = env.get("BEACON_PORT") or env.get("XPIPE_BEACON_PORT")
    if explicit:
        try:
            base = int(explicit)
        except ValueError:
            raise XPipeError(f"XPIPE_BEACON_PORT={explicit!r} is not a port number") from None
        candidates = [base]
        if ptb and not env.get("BEACON_PORT"):
            candidates.append(base + 1)
    else:
        candidates = [PTB_PORT if ptb else DEFAULT_PORT, *FALLBACK_PORTS]
    for port in candidates:
        url = f"http://127.0.0.1:{port}"
        if looks_like_xpipe(url, probe_timeout):
            return url
    where = ", ".join(str(p) for p in candidates[:3]) + (" ..." if len(candidates) > 3 else "")
    raise DaemonUnreachable(
        f"no XPipe found on 127.0.0.1 (ports tried: {where}); start XPipe, or pass --target URL "
        "(or --target embedded to use the built-in simulator)"
    )
