"""The failures a simulated endpoint can raise, and the JSON shapes XPipe answers them with.

XPipe has two error bodies (docs/xpipe-api.md §1.5): client errors are ``{"message": ...}`` (400), server errors
wrap a serialized Java Throwable as ``{"error": <Throwable>, "documentationLink": null}`` (500).
The Throwable shape (alphabetical keys, a short stack trace) is rebuilt here so that clients which
read ``error.message`` work against the simulator as against XPipe.
"""

from __future__ import annotations

from typing import Any


class ApiFailure(Exception):
    """Base class: an endpoint refuses the request with ``status`` and ``body()``."""

    status = 500

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def body(self) -> Any:
        raise NotImplementedError


class BadRequest(ApiFailure):
    """A ``BeaconClientException`` or a Jackson parse error: 400 ``{"message": ...}``."""

    status = 400

    def body(self) -> Any:
        return {"message": self.message}


class ServerFailure(ApiFailure):
    """Any other exception inside a handler: 500 with the serialized Throwable.

    ``java_class`` names the Java exception XPipe would have thrown (e.g. a ValidationException for
    incomplete store data); it appears as the class of the synthetic stack frame.
    """

    status = 500

    def __init__(self, message: str, *, java_class: str = "java.lang.IllegalArgumentException"):
        super().__init__(message)
        self.java_class = java_class

    def body(self) -> Any:
        return {"error": throwable(self.message, self.java_class), "documentationLink": None}


def throwable(message: str | None, java_class: str, *, cause: dict | None = None) -> dict:
    """A Java Throwable as XPipe's ThrowableTypeMixIn serializes it (keys alphabetical)."""
    frame = {
        "className": java_class,
        "methodName": "<init>",
        "fileName": java_class.rsplit(".", 1)[-1] + ".java",
        "lineNumber": 1,
        "nativeMethod": False,
        "classLoaderName": "app",
        "moduleName": None,
        "moduleVersion": None,
    }
    return {
        "cause": cause,
        "localizedMessage": message,
        "message": message,
        "stackTrace": [frame],
        "suppressed": [],
    }
