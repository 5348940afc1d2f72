"""Parse time and memory of the Remmina and Tabby sources at growing sizes (the bench_parse.py method).

    python benchmarks/bench_remmina_tabby.py [--sizes 1000,10000,100000] [--results FILE]

Remmina: a folder of N ``.remmina`` files, every password 3DES-encrypted with the folder's
remmina.pref, a quarter of the profiles behind an SSH tunnel to the first. Tabby: one config.yaml of
N SSH profiles in 200 nested groups, a quarter with a jump host, and a vault holding a saved password
for every other profile (PBKDF2 runs once per read). Each read runs in a fresh child process
(``bench_parse.measure``); a CPU ratio near 10 for a x10 size is linear.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent), str(HERE.parent / "tests")]

import bench_parse  # noqa: E402
from helpers import remmina, tabby  # noqa: E402

SECRET = remmina.gen_secret(bytes(range(32)))
PASSPHRASE = "bench-passphrase"


def write_remmina(path: Path, n: int) -> None:
    path.mkdir()
    remmina.write_pref(path, SECRET)
    for i in range(n):
        extra = {}
        if i and i % 4 == 0:
            extra = {"ssh_tunnel_enabled": "1", "ssh_tunnel_server": "gw.example.net", "ssh_tunnel_username": "deploy"}
        settings = remmina.ssh_profile(
            "bench-gw" if i == 0 else f"bench-{i:06d}",
            "gw.example.net" if i == 0 else f"host-{i:06d}.example.net:{22 + i % 3}",
            secret=SECRET,
            password=f"password-{i}",
            group=f"Region-{i % 5}/Rack-{i % 40}",
            **extra,
        )
        remmina.write_profile(path, f"g_ssh_bench-{i:06d}.remmina", settings)


def write_tabby(path: Path, n: int) -> None:
    groups = [{"id": f"region-{r}", "name": f"Region-{r}"} for r in range(5)]
    groups += [{"id": f"rack-{k}", "name": f"Rack-{k}", "parentGroupId": f"region-{k % 5}"} for k in range(195)]
    profiles, secrets = [], []
    for i in range(n):
        options = {"user": "deploy", "port": 22 + i % 3}
        if i and i % 4 == 0:
            options["jumpHost"] = "ssh:custom:gw"
        ident = "ssh:custom:gw" if i == 0 else f"ssh:custom:bench-{i:06d}"
        host = "gw.example.net" if i == 0 else f"host-{i:06d}.example.net"
        profiles.append(tabby.ssh_profile(ident, f"bench-{i:06d}", host, f"rack-{i % 195}", **options))
        if i % 2:
            secrets.append(tabby.password_secret("deploy", host, 22 + i % 3, f"password-{i}"))
    doc = tabby.config_doc(profiles, groups, vault=tabby.encrypt_vault({"secrets": secrets}, PASSPHRASE))
    path.write_text(tabby.js_yaml_dump(doc), encoding="utf-8")
    (path.parent / "pass.txt").write_text(PASSPHRASE, encoding="utf-8")


bench_parse.WRITERS["remmina"] = (write_remmina, "profiles")
bench_parse.WRITERS["tabby"] = (write_tabby, "config.yaml")


if __name__ == "__main__":
    import os

    os.environ["XPIPE_MIGRATE_SOURCE_PASSWORD"] = PASSPHRASE  # the child process reads the vault with it
    if "--formats" not in sys.argv:
        sys.argv[1:1] = ["--formats", "remmina,tabby"]
    raise SystemExit(bench_parse.main())
