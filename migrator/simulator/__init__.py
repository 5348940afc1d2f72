"""A simulator of XPipe's HTTP API, following the real daemon's behaviour (notes §1-4, §6).

Users test jobs against it and the main command embeds it by default. It serves on 127.0.0.1::

    with Simulator("23.8", auth_file=path) as sim:
        requests.post(sim.url + "/handshake", json=...)

``Simulator(version="23.8", *, port=0, auth_file=None, api_key=None, api_key_file=None,
state_dir=None, latency_ms=0, api_enabled=True, startup_delay=0.0, synced_identities=False,
gateway_children=True, lenient_ssh=False, selected_category=DEFAULT_CATEGORY, auth_disabled=False,
plan="community")``

* ``version``: 20-23 speak ``/connection/*`` with 23.x field names; 24+ (or a non-numeric version)
  speak ``/store/*`` with the renamed fields and keep ``/connection/*`` as path aliases.
* ``auth_file``: receives a fresh random UUID (no newline, mode 0600) on ``start()`` and
  ``restart()``, and is deleted on ``stop()``. Without it, Local authentication always fails.
* ``api_key`` / ``api_key_file`` / random: the key ``ApiKey`` authentication accepts (``sim.api_key``).
  A missing ``api_key_file`` is created with a random key.
* ``state_dir``: the vault (entries, categories, vault key, secret nodes) is loaded from
  ``<state_dir>/vault.json`` and saved atomically after mutations.
* ``latency_ms``: sleep per request; ``startup_delay``: endpoints that need a started daemon block
  until that many seconds after ``start()``/``restart()``.
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
  present; and, unless ``lenient_ssh=True``, ``gateway`` and ``identity`` must be set (a client that
  always sends the local machine as gateway works with XPipe either way).
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
* Vault saves are coalesced to at most one write per 0.5 s (immediate when idle) and flushed on
  ``stop()`` and ``restart()``.
"""

from migrator.simulator.server import Simulator, serve

__all__ = ["Simulator", "serve"]
