"""The exception hierarchy. Every error the tool raises on purpose derives from MigratorError.

The CLI prints ``str(error)`` as one line and exits with ``error.exit_code``. Messages must never
contain a secret: they are built from names, paths and server messages only.
"""

from __future__ import annotations


class MigratorError(Exception):
    """Base class of every error this tool raises on purpose."""

    exit_code = 1


class InputError(MigratorError):
    """A source file or an option the user gave cannot be used."""


class ConfigError(InputError):
    """A mapping profile, job file or command-line combination is invalid."""


class MappingUnsure(ConfigError):
    """A CSV/Excel file's columns fit no mapping profile surely enough to import without ``--mapping``.

    ``source`` is the source that was being read, so the CLI can show the ``mapping check`` preview.
    """

    def __init__(self, message: str, *, source=None):
        super().__init__(message)
        self.source = source


class LedgerConflict(InputError):
    """A write would give one XPipe entry two ledger rows (two source keys owning one UUID)."""


class LedgerError(InputError):
    """The ledger cannot be used: damaged, of a newer schema, not a ledger, not writable, or a path
    that is a folder or a link to nothing. Found before anything is written to XPipe."""


class RunLocked(MigratorError):
    """Another apply or sync holds the ledger (the message names its PID, host and start time)."""


class PlanRefused(MigratorError):
    """The plan is unsafe (or stale) and was not applied."""

    exit_code = 3


class PartialFailure(MigratorError):
    """Some entries failed while the rest were applied."""

    exit_code = 4


class XPipeError(MigratorError):
    """Talking to the XPipe daemon failed.

    ``outcome_unknown`` says whether a *write* that failed this way may still have been applied: a
    5xx, an answer that broke off or never came, a timeout once the request was sent. Such a write
    stays open in the journal and is checked against the vault, never taken as not done. A 4xx, an
    auth failure and a connection that could not be opened are definite: nothing was applied.
    """

    outcome_unknown = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        endpoint: str | None = None,
        outcome_unknown: bool | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.endpoint = endpoint
        if outcome_unknown is not None:
            self.outcome_unknown = outcome_unknown


class DaemonUnreachable(XPipeError):
    """No XPipe daemon answers at the target address(es)."""

    exit_code = 5


class XPipeTimeout(XPipeError):
    """The daemon accepted the connection but did not answer in time."""

    exit_code = 5
    outcome_unknown = True


class ConnectionLost(XPipeError):
    """The connection broke (reset, closed) after a write was sent and before its answer came: the
    write may or may not have been applied. Writes are never resent blindly after this."""

    exit_code = 5
    outcome_unknown = True


class AuthenticationFailed(XPipeError):
    """The handshake was refused (wrong API key or stale/unreadable auth file)."""

    exit_code = 6


class ApiDisabled(XPipeError):
    """The HTTP API is switched off in XPipe's settings."""

    exit_code = 6


class UnsupportedEndpoint(XPipeError):
    """The daemon answered 303: this endpoint does not exist in its version."""

    exit_code = 7


class UnsupportedVersion(XPipeError):
    """The daemon's version is outside what this tool speaks."""

    exit_code = 7


class BadRequest(XPipeError):
    """XPipe answered 400; ``server_message`` holds its message."""

    def __init__(self, message: str, *, server_message: str = "", **kw):
        super().__init__(message, **kw)
        self.server_message = server_message


class ServerError(XPipeError):
    """XPipe answered 5xx (incomplete data, failed validation, a server bug, or a failure after the
    write was stored: docs/xpipe-api.md §2.4). Never retried blindly."""

    outcome_unknown = True

    def __init__(self, message: str, *, server_message: str = "", **kw):
        super().__init__(message, **kw)
        self.server_message = server_message


class ProtocolError(XPipeError):
    """The daemon answered something that is not the API's JSON (another program on the port?), or
    JSON of the wrong shape for the endpoint. Exit 5 like an unreachable daemon: no usable XPipe."""

    exit_code = 5
    outcome_unknown = True


class SourceServiceError(MigratorError):
    """An inventory service the tool reads from (Xen Orchestra) failed: unreachable, TLS, timeout,
    a refused token, or an error answer. Distinct from XPipe's codes so scripts can tell which side
    failed. Messages name the service URL and status, never the token."""

    exit_code = 8

    def __init__(self, message: str, *, status: int | None = None, endpoint: str | None = None):
        super().__init__(message)
        self.status = status
        self.endpoint = endpoint


class SourceUnreachable(SourceServiceError):
    """No connection to the service (refused, DNS, reset)."""


class SourceTimeout(SourceServiceError):
    """The service did not deliver the whole answer within the deadline."""


class SourceTlsError(SourceServiceError):
    """The TLS handshake or certificate verification failed."""


class SourceAuthFailed(SourceServiceError):
    """The service refused the token (missing, wrong, expired, or without the rights needed)."""


class SourceRequestRejected(SourceServiceError):
    """The service rejected the request, e.g. a malformed filter expression."""


class SourceProtocolError(SourceServiceError):
    """The answer is not what the service's API sends (wrong URL, a proxy page, too large)."""
