"""Parse time and peak memory of the Royal TS and RDM sources at growing sizes: parsing must be linear.

    python benchmarks/bench_royalts_rdm.py [--sizes 1000,10000] [--formats royalts,royalts-rjson,rdm]

The measuring (one fresh child process per read, CPU time, ``VmHWM`` growth) and the table are
``bench_parse.py``'s; this adds writers built on the test generators (real encryption):

- ``royalts``: a ``.rtsz`` with 40 folders (each with its own username and encrypted password, which
  its connections inherit), one secure gateway the folders pass down to a quarter of the hosts, a
  credential object used by ID by a quarter, and an own encrypted password on a quarter. Every
  encrypted value is distinct, so each costs one PBKDF2 (1000 iterations) when read;
- ``royalts-rjson``: the same shape as rJSON (plain passwords);
- ``rdm``: an ``.rdm`` export, every entry with its own fixed-key 3DES ``SafePassword``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

import bench_parse  # noqa: E402
from helpers import rdm as rdm_gen  # noqa: E402
from helpers import royalts as royal_gen  # noqa: E402


def write_royalts(path: Path, n: int) -> None:
    doc = royal_gen.RoyalDoc(password="bench")
    gw = doc.gateway("bench-gw", "gw.example.net", SecureGatewayCredentialMode=1, SecureGatewayUsername="jump")
    cred = doc.credential("shared", UserName="svc", Password=doc.enc("shared-pw"))
    folders = [
        doc.folder(
            f"Region-{k % 5}-{k}",
            CredentialMode=2,
            CredentialUsername=f"user{k}",
            CredentialPassword=doc.enc(f"folder-pw-{k}"),
            SecureGatewayUsageMode=1,
            SecureGatewayID=gw,
        )
        for k in range(40)
    ]
    for i in range(1, n):
        props = {"Port": 22 + i % 3, "Description": f"generated host {i}", "SecureGatewayFromParent": i % 4 == 0}
        if i % 4 == 1:
            props.update(CredentialMode=3, CredentialId=cred)
        elif i % 4 == 2:
            props.update(CredentialMode=2, CredentialUsername="deploy", CredentialPassword=doc.enc(f"own-{i}"))
        else:
            props.update(CredentialMode=1)
        doc.ssh(f"bench-{i:06d}", f"host-{i:06d}.example.net", parent=folders[i % 40], **props)
    doc.write(path)


def write_royalts_rjson(path: Path, n: int) -> None:
    folders = [
        {
            "Type": "Folder",
            "Name": f"Region-{k}",
            "Username": f"user{k}",
            "Password": f"folder-pw-{k}",
            "SecureGatewayID": "gw",
            "Objects": [],
        }
        for k in range(40)
    ]
    top = [{"Type": "SecureGateway", "Name": "bench-gw", "ID": "gw", "ComputerName": "gw.example.net"}, *folders]
    for i in range(1, n):
        obj = {
            "Type": "TerminalConnection",
            "Name": f"bench-{i:06d}",
            "ID": f"h{i}",
            "ComputerName": f"host-{i:06d}.example.net",
            "Port": 22 + i % 3,
            "CredentialsFromParent": i % 2 == 0,
            "SecureGatewayFromParent": i % 4 == 0,
        }
        if i % 2:
            obj.update(Username="deploy", Password=f"own-{i}")
        folders[i % 40]["Objects"].append(obj)
    path.write_bytes(royal_gen.rjson(top))


def write_rdm(path: Path, n: int) -> None:
    entries = [
        rdm_gen.ssh(
            f"bench-{i:06d}",
            f"host-{i:06d}.example.net",
            port=22 + i % 3,
            user="deploy",
            password=f"rdm-pw-{i}",
            group=f"Region-{i % 5}\\Rack-{i % 40}",
            description=f"host {i}",
        )
        for i in range(n)
    ]
    path.write_bytes(rdm_gen.export(entries))


bench_parse.WRITERS.update(
    {
        "royalts": (write_royalts, "hosts.rtsz"),
        "royalts-rjson": (write_royalts_rjson, "hosts.rjson"),
        "rdm": (write_rdm, "hosts.rdm"),
    }
)
bench_parse.FORMATS = ("royalts", "royalts-rjson", "rdm")
os.environ["XPIPE_MIGRATE_SOURCE_PASSWORD"] = "bench"  # the royalts document password (children inherit it)
bench_parse.__file__ = __file__  # its children run this script, which knows the writers and the aliases

if __name__ == "__main__":
    if "--measure" in sys.argv:  # the child: the format of royalts-rjson is royalts
        sys.argv = ["royalts" if a == "royalts-rjson" else a for a in sys.argv]
    elif "--sizes" not in sys.argv:
        sys.argv += ["--sizes", "1000,10000"]
    raise SystemExit(bench_parse.main())
