"""How the client proves itself to XPipe: the Local auth file or an API key.

The Local auth file is read at every handshake, never cached: XPipe writes new content on each
start, so a client that re-handshakes after a restart must read it again.
"""

from __future__ import annotations

import getpass
import os
import sys
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path

from migrator.errors import AuthenticationFailed, ConfigError

API_KEY_ENV = "XPIPE_API_KEY"


def default_auth_file(ptb: bool = False, platform: str | None = None, env: dict | None = None) -> Path:
    """Where XPipe writes ``beacon-auth`` on this OS (docs/xpipe-api.md §1.3)."""
    platform = platform or sys.platform
    env = os.environ if env is None else env
    folder = "xpipe-ptb" if ptb else "xpipe"
    if platform.startswith("win"):
        temp = env.get("TEMP") or tempfile.gettempdir()
        windir = env.get("SystemRoot", r"C:\Windows")
        if temp.lower().startswith(windir.lower()) and env.get("LOCALAPPDATA"):
            temp = os.path.join(env["LOCALAPPDATA"], "Temp")
        return Path(temp) / folder / "beacon-auth"
    if platform == "darwin":
        return Path(env.get("TMPDIR") or tempfile.gettempdir()) / folder / "beacon-auth"
    # The JVM's java.io.tmpdir is /tmp on Linux whatever $TMPDIR says.
    user = env.get("USER") or getpass.getuser()
    return Path("/tmp") / folder / user / "beacon-auth"


class Auth(ABC):
    """One way of authenticating the handshake."""

    @abstractmethod
    def handshake_auth(self) -> dict: ...

    @abstractmethod
    def describe(self) -> str:
        """What a failed handshake message should say about where the credential came from."""

    hint = ""


class LocalAuth(Auth):
    """Proof by file-system access: send the content of XPipe's ``beacon-auth`` file."""

    def __init__(self, auth_file: str | Path | None = None, *, ptb: bool = False):
        self.auth_file = Path(auth_file) if auth_file else default_auth_file(ptb)

    def handshake_auth(self) -> dict:
        try:
            content = self.auth_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise AuthenticationFailed(
                f"XPipe's auth file {self.auth_file} does not exist: is XPipe running as this user? "
                "Otherwise use API key authentication (--api-key-file or XPIPE_API_KEY)"
            ) from None
        except OSError as exc:
            raise AuthenticationFailed(
                f"cannot read XPipe's auth file {self.auth_file}: {exc.strerror}; "
                "use API key authentication (--api-key-file or XPIPE_API_KEY)"
            ) from None
        return {"type": "Local", "authFileContent": content}

    def describe(self) -> str:
        return f"the Local auth file {self.auth_file}"

    hint = "a stale file from an earlier XPipe start, or the file of another XPipe (PTB?)"


class ApiKeyAuth(Auth):
    """The API key from XPipe's settings (Settings > HTTP API)."""

    def __init__(self, key: str, origin: str = "the API key"):
        if not key or not key.strip():
            raise ConfigError(f"{origin} is empty")
        self._key = key.strip()
        self.origin = origin

    def handshake_auth(self) -> dict:
        return {"type": "ApiKey", "key": self._key}

    def describe(self) -> str:
        return self.origin

    hint = "compare it with Settings > HTTP API > API key"

    def __repr__(self) -> str:
        return f"ApiKeyAuth(origin={self.origin!r})"


def api_key_from_file(path: str | Path) -> ApiKeyAuth:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read API key file {path}: {exc.strerror}") from None
    return ApiKeyAuth(text, origin=f"the API key in {path}")


def resolve_auth(
    *,
    auth_file: str | None = None,
    api_key_file: str | None = None,
    ptb: bool = False,
    env: dict | None = None,
) -> Auth:
    """API key file, then the XPIPE_API_KEY variable, then Local auth. Keys never come from argv."""
    env = os.environ if env is None else env
    if api_key_file and auth_file:
        raise ConfigError("--api-key-file and --auth-file exclude each other")
    if api_key_file:
        return api_key_from_file(api_key_file)
    if env.get(API_KEY_ENV) and not auth_file:
        return ApiKeyAuth(env[API_KEY_ENV], origin=f"the API key in ${API_KEY_ENV}")
    return LocalAuth(auth_file, ptb=ptb)
