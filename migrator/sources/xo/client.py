"""A read-only client for Xen Orchestra's REST API (``/rest/v0``), old and new implementation.

XO serves ``/rest/v0`` from two different code bases (read in ``vatesfr/xen-orchestra``):

* ``xo-server``: the REST mixin ``packages/xo-server/src/xo-mixins/rest-api.mjs`` (2022 to 2025).
* ``rest-api``: the ``@xen-orchestra/rest-api`` package (TSOA controllers), which took the routes
  over one by one during 2025 and is the only implementation since the legacy code was removed
  (commit e6573e26a9, October 2025).

What this client relies on, and how each answers (README, "Xen Orchestra", has the source paths):
the token travels as the ``authenticationToken`` cookie; ``ndjson=true`` gives
``application/x-ndjson``, one JSON object per line, in both; ``fields=a,b`` gives objects with those
keys plus ``href``. A refused token is ``401`` with the body ``Unauthorized`` (xo-server) or
``{"error": "invalid credentials"}`` (rest-api). A malformed ``filter`` is an unhandled exception,
so ``500`` (xo-server), or ``400 {"error": "parse error: ...", "data": {"stringToParse": ...}}``
(rest-api). The root lists the collections as hrefs (xo-server) or redirects to ``/rest/v0/docs``
(rest-api); :meth:`XoClient.probe` uses that to tell them apart and to check the token first.

Every failure becomes one typed, one-line ``SourceServiceError`` (exit 8). Redirects are never
followed, so the cookie only ever goes to the URL the user gave; bodies are never echoed beyond a
short sanitised snippet, and the token is scrubbed from anything shown.
"""

from __future__ import annotations

import json
import re
import time
import warnings
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3

from migrator import __version__
from migrator.errors import (
    ConfigError,
    SourceAuthFailed,
    SourceProtocolError,
    SourceRequestRejected,
    SourceServiceError,
    SourceTimeout,
    SourceTlsError,
    SourceUnreachable,
)

API = "/rest/v0"
LEGACY, TSOA = "xo-server", "rest-api"
NDJSON = "application/x-ndjson"
COOKIE = "authenticationToken"
_TOKEN_CHARS = re.compile(r"[!#-+\--:<-\[\]-~]+")  # cookie-octet (RFC 6265) without ';', ',', '\', '"'
_TAGS = re.compile(r"<head>.*?</head>|<[^>]*>", re.S | re.I)


def normalize_url(url: str) -> str:
    """``https://xo.example.org/`` -> ``https://xo.example.org``; a trailing ``/rest/v0`` is dropped.

    A path prefix stays (XO behind a reverse proxy under ``/xo``). User info, query and fragment
    are refused: credentials never go in a URL, and the URL is shown in messages and reports.
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:  # an unclosed '[' of an IPv6 address
        raise ConfigError(f"xo: {_safe_url(text)!r} is not a valid URL (use xo:https://xo.example.org)") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"xo: {_safe_url(text)!r} is not an http:// or https:// URL (use xo:https://xo.example.org)")
    if parts.username or parts.password:
        raise ConfigError(
            "xo: the URL must not contain a user name or password; the token comes from XO_TOKEN or token_file"
        )
    if parts.query or parts.fragment:
        raise ConfigError("xo: the URL must not have a query or fragment; give options with --source-option")
    try:
        _ = parts.port
    except ValueError:
        raise ConfigError(f"xo: {_safe_url(text)!r} has an invalid port") from None
    path = parts.path.rstrip("/")
    if path.endswith(API):
        path = path[: -len(API)]
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, "", ""))


def _safe_url(text: str) -> str:
    """The URL as it may be shown: nothing before an '@' (it may be user:password, however mistyped),
    no query or fragment (they may carry a token), and at most 80 characters."""
    head = re.split(r"[?#]", text, maxsplit=1)[0]
    if "@" in head:
        head = "…@" + head.rpartition("@")[2]
    return "".join(c if c.isprintable() else "?" for c in head[:80])


def check_token(token: str, origin: str) -> str:
    """The token as sent in the cookie; anything that could break the header is refused (not shown)."""
    token = token.strip()
    if not token:
        raise ConfigError(f"xo: the token from {origin} is empty")
    if not _TOKEN_CHARS.fullmatch(token):
        raise ConfigError(
            f"xo: the token from {origin} contains characters a token cannot have "
            "(spaces, quotes, ';' or control characters)"
        )
    return token


class XoClient:
    """One ``requests.Session`` to one XO. ``timeout`` is a deadline for each whole answer."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        token_origin: str = "XO_TOKEN",
        verify: bool | str = True,
        timeout: float = 60.0,
        max_bytes: int = 256 * 2**20,
        max_line: int = 2**20,
    ):
        self.url = normalize_url(url)
        self.token_origin = token_origin
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_line = max_line
        self.flavour: str | None = None
        self.bytes_read = 0
        self._token = check_token(token, token_origin)
        self.session = requests.Session()
        # Environment proxies and netrc stay out: netrc would add a second credential (rest-api
        # answers 400 to a cookie plus Authorization), and the CA choice is the user's explicit one.
        self.session.trust_env = False
        self.session.verify = verify
        self.session.headers.update(
            {
                "User-Agent": f"xpipe-migrate/{__version__}",
                "Accept": "application/json",
                "Cookie": f"{COOKIE}={self._token}",
            }
        )

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> XoClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- requests -----------------------------------------------------------------------------

    def _get(self, path: str, params: dict | None = None) -> tuple[requests.Response, float]:
        deadline = time.monotonic() + self.timeout
        try:
            with warnings.catch_warnings():
                # verify=false is reported once as a diagnostic, not once per request on stderr.
                warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
                resp = self.session.get(
                    self.url + path,
                    params=params,
                    timeout=(self.timeout, self.timeout),
                    allow_redirects=False,
                    stream=True,
                )
        except requests.exceptions.SSLError as exc:
            raise SourceTlsError(self._tls_message(exc), endpoint=path) from None
        except requests.Timeout:
            raise SourceTimeout(
                f"Xen Orchestra at {self.url} did not answer {path} within {self.timeout:g} s "
                "(raise timeout=SECONDS for very large pools)",
                endpoint=path,
            ) from None
        except requests.ConnectionError:
            raise SourceUnreachable(
                f"cannot connect to Xen Orchestra at {self.url} (wrong URL or port, or XO is down?)", endpoint=path
            ) from None
        except requests.RequestException as exc:
            raise SourceServiceError(
                f"request to Xen Orchestra at {self.url}{path} failed: {type(exc).__name__}", endpoint=path
            ) from None
        return resp, deadline

    def _tls_message(self, exc: Exception) -> str:
        text = str(exc)
        if "mismatch" in text.lower() or "doesn't match" in text:
            why = "its certificate is for another host name or address"
        elif "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
            why = (
                "its certificate is not trusted (self-signed or a private CA?): pass ca_bundle=PATH "
                "with the CA certificate, or verify=false to skip the check"
            )
        elif "WRONG_VERSION_NUMBER" in text or "wrong version number" in text:
            why = "it does not speak TLS on this port (http:// instead of https://?)"
        else:
            why = "the TLS handshake failed"
        return f"TLS connection to Xen Orchestra at {self.url} failed: {why}"

    def probe(self) -> str:
        """Check URL and token at ``/rest/v0`` and find which implementation answers."""
        resp, deadline = self._get(API)
        with resp:
            if resp.status_code == 200:
                data = self._read_json(resp, API, deadline)
                if isinstance(data, list) and any(isinstance(h, str) and h.endswith("/vms") for h in data):
                    self.flavour = LEGACY
                    return LEGACY
                raise SourceProtocolError(
                    f"{self.url}{API} answered, but not with XO's list of collections: is this a Xen Orchestra URL?",
                    status=200,
                    endpoint=API,
                )
            if resp.is_redirect and urlsplit(resp.headers.get("Location", "")).path.rstrip("/").endswith("/docs"):
                self.flavour = TSOA
                return TSOA
            self._fail(resp, API)
        raise AssertionError("unreachable")  # pragma: no cover - _fail always raises

    def stream(self, collection: str, params: dict) -> Iterator[dict]:
        """GET ``/rest/v0/<collection>`` as NDJSON and yield each object (a plain JSON answer also works)."""
        path = f"{API}/{collection}"
        resp, deadline = self._get(path, {**params, "ndjson": "true"})
        with resp:
            if resp.status_code != 200:
                self._fail(resp, path, filter_=params.get("filter"))
            ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if ctype == NDJSON:
                for line_no, line in self._lines(resp, path, deadline):
                    try:
                        item = json.loads(line)
                    except ValueError:
                        raise SourceProtocolError(
                            f"line {line_no} of {self.url}{path} is not JSON", status=200, endpoint=path
                        ) from None
                    yield item
            elif ctype == "application/json":
                data = self._read_json(resp, path, deadline)
                if not isinstance(data, list):
                    raise SourceProtocolError(f"{self.url}{path} did not answer with a list", status=200, endpoint=path)
                yield from data
            else:
                raise SourceProtocolError(
                    f"{self.url}{path} answered {ctype or 'no content type'}, not XO's "
                    "JSON: is this a Xen Orchestra URL (a login page or proxy in between?)",
                    status=200,
                    endpoint=path,
                )

    # -- reading bodies within the limits ------------------------------------------------------

    def _chunks(self, resp: requests.Response, path: str, deadline: float) -> Iterator[bytes]:
        try:
            for chunk in resp.iter_content(chunk_size=65536):
                self.bytes_read += len(chunk)
                if self.bytes_read > self.max_bytes:
                    raise SourceProtocolError(
                        f"{self.url}{path} sent more than {self.max_bytes // 2**20} MiB; narrow the filter or raise "
                        "max_mb",
                        status=resp.status_code,
                        endpoint=path,
                    )
                if time.monotonic() > deadline:
                    raise self._timeout(path)
                yield chunk
        except requests.exceptions.ConnectionError as exc:
            if "timed out" in str(exc).lower():
                raise self._timeout(path) from None
            raise SourceUnreachable(
                f"Xen Orchestra at {self.url} closed the connection in the middle of {path}", endpoint=path
            ) from None
        except requests.RequestException as exc:
            raise SourceServiceError(f"reading {self.url}{path} failed: {type(exc).__name__}", endpoint=path) from None

    def _timeout(self, path: str) -> SourceTimeout:
        return SourceTimeout(
            f"Xen Orchestra at {self.url} did not finish sending {path} within {self.timeout:g} s "
            "(raise timeout=SECONDS for very large pools)",
            endpoint=path,
        )

    def _lines(self, resp, path: str, deadline: float) -> Iterator[tuple[int, bytes]]:
        buf = b""
        line_no = 0
        for chunk in self._chunks(resp, path, deadline):
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for line in lines:
                self._check_line(line, line_no + 1, path)
                line_no += 1
                if line.strip():
                    yield line_no, line
            self._check_line(buf, line_no + 1, path)
        if buf.strip():
            yield line_no + 1, buf

    def _check_line(self, line: bytes, line_no: int, path: str) -> None:
        if len(line) > self.max_line:
            raise SourceProtocolError(
                f"line {line_no} of {self.url}{path} is longer than {self.max_line} bytes", status=200, endpoint=path
            )

    def _read_json(self, resp, path: str, deadline: float):
        body = b"".join(self._chunks(resp, path, deadline))
        try:
            return json.loads(body)
        except ValueError:
            raise SourceProtocolError(
                f"{self.url}{path} answered something that is not JSON: {self._snippet(body)!r}",
                status=resp.status_code,
                endpoint=path,
            ) from None

    # -- error answers -------------------------------------------------------------------------

    def _snippet(self, body: bytes) -> str:
        """A short, printable, token-free summary of an error body (XO's own message where it has one)."""
        text = body[:4096].decode("utf-8", "replace")
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("error"), str):
            text = data["error"]
        elif isinstance(data, dict) and isinstance(data.get("message"), str):
            text = data["message"]
        elif isinstance(data, str):
            text = data
        else:
            text = _TAGS.sub(" ", text)
        text = "".join(c if c.isprintable() else " " for c in text)
        text = " ".join(text.split()).replace(self._token, "***")
        return text[:120] + ("..." if len(text) > 120 else "")

    def _fail(self, resp: requests.Response, path: str, *, filter_: str | None = None) -> None:
        status = resp.status_code
        try:
            body = resp.raw.read(4096, decode_content=True) or b""
        except Exception:  # noqa: BLE001 - only used to word the message
            body = b""
        said = self._snippet(body)
        said_part = f": {said}" if said else ""
        where = f"{self.url}{path}"
        if status in (401, 403):
            raise SourceAuthFailed(
                f"Xen Orchestra at {self.url} refused the token from {self.token_origin} (HTTP {status}{said_part}); "
                "it is wrong, expired or revoked, or its user lacks the rights (xo-server before 2025 "
                "needs an admin): create a new token in XO under User > Authentication tokens",
                status=status,
                endpoint=path,
            )
        if status in (400, 422):
            hint = f" (filter={filter_!r} is passed to XO unchanged; see XO's filter syntax)" if filter_ else ""
            raise SourceRequestRejected(
                f"Xen Orchestra rejected {where} (HTTP {status}{said_part}){hint}", status=status, endpoint=path
            )
        if status == 404:
            raise SourceProtocolError(
                f"{where} does not exist (HTTP 404): not a Xen Orchestra URL, or an XO without the REST API",
                status=status,
                endpoint=path,
            )
        if resp.is_redirect:
            target = _safe_url(resp.headers.get("Location", "")) or "?"
            raise SourceProtocolError(
                f"{where} redirects to {target} (HTTP {status}); redirects are not followed "
                "so the token goes nowhere else: give the final URL",
                status=status,
                endpoint=path,
            )
        if status >= 500:
            hint = (
                f"; xo-server before 2025 answers a malformed filter this way: check filter={filter_!r}"
                if filter_ and status == 500
                else ""
            )
            raise SourceServiceError(
                f"Xen Orchestra failed on {where} (HTTP {status}{said_part}){hint}", status=status, endpoint=path
            )
        raise SourceProtocolError(
            f"Xen Orchestra answered {where} with HTTP {status}{said_part}", status=status, endpoint=path
        )
