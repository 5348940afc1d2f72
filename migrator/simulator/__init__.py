"""A simulator of XPipe's HTTP API, following the real daemon's behaviour (docs/xpipe-api.md §1-4, §6).

Users test jobs against it and the main command embeds it by default. It serves on 127.0.0.1::

    with Simulator("23.8", auth_file=path) as sim:
        requests.post(sim.url + "/handshake", json=...)

``Simulator(version="23.8", *, port=0, auth_file=None, api_key=None, api_key_file=None,
state_dir=None, latency_ms=0, api_enabled=True, startup_delay=0.0, synced_identities=False,
gateway_children=True, lenient_ssh=False, selected_category=DEFAULT_CATEGORY, auth_disabled=False,
plan="community", transport="jdk", faults=None)``

* ``version``: 20-23 speak ``/connection/*`` with 23.x field names; 24+ (or a non-numeric version)
  speak ``/store/*`` with the renamed fields and keep ``/connection/*`` as path aliases.
* ``auth_file``: receives a fresh random UUID (no newline, mode 0600) on ``start()`` and
  ``restart()``, and is deleted on ``stop()``. Without it, Local authentication always fails.
* ``api_key`` / ``api_key_file`` / random: the key ``ApiKey`` authentication accepts (``sim.api_key``).
  A missing ``api_key_file`` is created with a random key.
* ``state_dir``: the vault (entries, categories, vault key, secret nodes) is loaded from
  ``<state_dir>/vault.json`` plus the journal ``vault.log``; each mutation appends only what it
  changed (see :mod:`migrator.simulator.persist`).
* ``latency_ms``: the time each request takes in the handler (its own work included); storage
  endpoints (``/connection/*``, ``/store/*``, ``/category/*``) spend it holding the storage lock, so
  they queue like XPipe's (docs/xpipe-api.md §1.7); ``/secret/*``, handshake and daemon endpoints spend it
  unlocked. ``startup_delay``: endpoints that need a started daemon block until that many seconds
  after ``start()``/``restart()``.
* ``transport``: ``"jdk"`` (default) behaves like XPipe's JDK HTTP server: Nagle's algorithm on,
  status line and headers in one socket write and the body in a second, at most 5 requests handled
  at once; a keep-alive client therefore waits for its own delayed ACK on every response.
  ``"ideal"`` (CLI ``--ideal-transport``) sets TCP_NODELAY and writes each response at once, for
  comparison only. ``sim.connections`` counts accepted TCP connections.
* ``faults``: a :class:`~migrator.simulator.faults.FaultPlan` (CLI ``--fail-writes RATE --fail-mode
  MODE --fail-seed N``), a test aid that fails a share of the vault writes before or after they are
  applied (a 500, or a reset or closed connection without an answer); ``None`` (the default) fails
  nothing. ``sim.faults.injected`` lists what was injected.
* ``sim.api_enabled`` and ``sim.auth_disabled`` are the live "Enable HTTP API" and "Disable API
  authentication" settings. ``sim.requests`` counts requests per path; ``sim.vault`` is the
  :class:`~migrator.simulator.vault.Vault` (its docstring lists what tests can inspect).

``serve(port, version, ...)`` runs one in the foreground for the CLI.

Only the endpoints a migrator uses exist: ``/handshake``, ``/daemon/version``, ``/daemon/status``,
the connection (store) and category endpoints, ``/secret/encrypt`` and ``/secret/decrypt``. Every
other path answers like a path unknown to XPipe (303 to the docs).

Inferred behaviour
------------------
Where XPipe's code is closed or the notes leave a choice open, the simulator does this:

* ``ssh`` store (closed source): fields ``host``, ``port``, ``gateway``, ``identity``, ``jumpServer``,
  ``dontInteractWithSystem``, ``forwardX11``, ``additionalOptions`` (a string); others are dropped.
  ``host`` is a plain string. ``checkComplete``: host not blank, port 1-65535, identity complete when
  present (``"identity": null`` is accepted, as XPipe's docs say); and, unless ``lenient_ssh=True``,
  ``gateway`` must be set (a client that always sends the local machine as gateway works with XPipe
  either way).
* Display parents (closed): with ``gateway_children=True`` an ``ssh`` entry whose gateway is another
  entry (not the local machine) is shown under its gateway: its path is ``gateway/entry``, a new
  entry without ``category`` lands in the gateway's category, and removing the gateway removes it.
  Paths of other entries do not include the local machine.
* References to a removed entry (gateway, identity ``ref``, ``multiIdentity`` members) become
  ``null`` at once (XPipe: on next load); entries that are then incomplete disappear from queries but
  are still matched by ``/connection/add``'s name lookup.
* ``validate: true`` and ``/connection/refresh`` cannot connect anywhere: they run ``checkComplete``
  and then a simulated validation that always succeeds.
* ``multiIdentity`` is complete when it lists at least one entry and none of them is missing;
  ``passwordManagerIdentity`` needs a ``key``; key strategies ``file``/``inPlaceKey``/
  ``certificateFile`` need their ``password`` strategy; password-manager and agent availability is
  not checked.
* An encrypted value whose plaintext is not JSON (e.g. ``/secret/encrypt`` of a bare password used
  as an identity ``password``) is answered 400 without echoing the plaintext.
* Nested ``SecretValue``s (an ``inPlaceKey`` key) compare by plaintext. ``locked`` values are
  decrypted with the vault key (there are no vault users). The ``encryptedToken`` is an encryption of
  a fixed marker; a token from another vault makes decryption yield nothing.
* ``/connection/add`` without ``category`` uses ``selected_category`` (XPipe: the category selected in
  its GUI). Among several entries with the same name, step 3 uses the oldest (XPipe: arbitrary).
  XPipe's in-memory store→entry cache is not modelled (equivalent while it is invalidated on update).
* Category removal: roots, Default, Local/Synced identities, Custom/Sources/Predefined scripts are
  refused with ``400 Cannot delete category: <name>``; sub-categories that are kept are re-parented
  under All connections (what XPipe does at its next load); entries move to the parent category, or
  to Default when the parent is a root. The Predefined scripts category is named "Predefined".
* With the API disabled no CORS headers are sent and ``OPTIONS`` goes through the normal pipeline.
* Empty body: 23.x answers 500 (a NullPointerException shape), 24 answers 400. A JSON ``null`` body
  is a 500 in both.
* ``/daemon/version``: ``buildVersion`` ``<version>-simulator``, ``plan`` from the option
  (XPipe's license ids are closed); ``/daemon/status`` reports mode ``gui``. The local machine's state
  reports a Linux bash shell; new shell entries start with an empty ``ShellStoreState``.
* Transport: the executor limit is a semaphore held from reading a request to writing its answer
  (the JDK's dispatcher thread and its idle-connection handling are not modelled). A storage request
  parses its body while holding the lock (XPipe parses before entering it). The journal persistence
  has no XPipe counterpart (XPipe writes one file per entry).

Messages: which are XPipe's and which are guesses
-------------------------------------------------
Verbatim from the notes (§1.3-§2.11, §6): ``Missing Authorization header``, ``Unknown token``,
``Authentication failed``, ``HTTP API is not enabled in the settings menu``, ``Unable to parse store
data into valid store``, ``Category with id <uuid> does not exist``, ``Parent category with id <uuid>
does not exist``, ``Unknown connection: <uuid>`` (23.x), ``Unknown  store: <uuid>`` (24, two spaces),
``Unknown category: <uuid>``, ``Cannot delete category: <name>``, ``Unable to parse secret``,
``Request body must not be empty`` (24), ``Key file is not synced``, and the rewritten Jackson
phrase ``field <x> is missing from object``.

Guessed wording (the notes give only the status and exception class, or nothing):

* Jackson parse and coercion errors: the ``Cannot construct instance of `<class>`, problem:`` prefix,
  ``Cannot deserialize value of type ... (through reference chain: ...)``, ``UUID has to be
  represented by standard 36-char representation``, ``not a valid `java.lang.Integer` value``,
  ``Numeric value (...) out of range of int``, ``Unexpected character: ... at [line: l, column: c]``,
  ``Non-standard token ...``, ``Unexpected end-of-input in a comment``, ``Invalid UTF-8 in request
  body``; ``Invalid UUID string: <text>`` (``UUID.fromString``).
* 23.x empty body: ``Cannot invoke "<class>.get<Field>()" because "msg" is null`` (500).
* ``checkComplete`` (500, ValidationException): ``Host must not be empty``, ``Gateway must not be
  empty``, ``Identity must not be empty``, ``<field> must not be empty`` (after XPipe's
  ``$VALUE$ must not be empty``), ``Port must be between 1 and 65535``, ``Identities must not be
  empty``.
* ``Name is empty`` (blank name, 500 IllegalArgumentException), ``Entry failed to load`` (refresh of
  an entry that failed to load, 500), ``Unable to parse the decrypted secret as JSON (...)`` (400).
* A bad glob answers 500 with Python's regex error text (XPipe: a PatternSyntaxException's); any
  other simulator exception answers 500 ``<ExceptionName>: <text>``.
"""

from __future__ import annotations

__all__ = ["Simulator", "serve"]


def __getattr__(name: str):
    """``Simulator`` and ``serve`` load the server on first use, so importing a light module of this
    package (``simulator.faults`` for the CLI's choices) does not load the HTTP server."""
    if name in __all__:
        from migrator.simulator import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
