"""Writes samples/mremoteng/ with the test generator: ``cd tests && python -m helpers.mremoteng_samples``.

Salts, nonces and IVs are random, so every run writes different bytes that read the same; the
committed files are one such run. Their passwords are listed in samples/mremoteng/README.md and
checked by tests/unit/sources/test_mremoteng_samples.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

from helpers.mremoteng import Node, Style, folder, write

PROTECTED_MASTER = "Sample-Master-2024"


def main_tree() -> list[Node]:
    inherit_login = {"Username", "Password"}
    return [
        folder(
            "Production",
            folder(
                "Web",
                Node(
                    "web-01",
                    id="6f1c2a10-0b7e-4a43-9d51-0c6b9e3a0001",
                    hostname="web-01.prod.example.com",
                    inherit=inherit_login | {"SSHTunnelConnectionName"},
                    descr="Frontend, behind the bastion",
                ),
                Node(
                    "web-02",
                    id="6f1c2a10-0b7e-4a43-9d51-0c6b9e3a0002",
                    hostname="web-02.prod.example.com",
                    port=2222,
                    inherit=inherit_login | {"SSHTunnelConnectionName"},
                ),
                inherit=inherit_login,
                tunnel="bastion-prod",
                descr="Web tier",
            ),
            folder(
                "Databases",
                Node(
                    "db-01",
                    id="6f1c2a10-0b7e-4a43-9d51-0c6b9e3a0003",
                    hostname="db-01.prod.example.com",
                    username="postgres",
                    password="pg-s\u00e9cret 'quoted' %s",
                    ssh_options=r"-i C:\Users\ops\.ssh\db_ed25519 -A",
                    tunnel="bastion-prod",
                ),
                Node(
                    "db-reporting",
                    id="6f1c2a10-0b7e-4a43-9d51-0c6b9e3a0004",
                    hostname="reporting.prod.example.com",
                    protocol="RDP",
                    port=3389,
                    username="Administrator",
                ),
            ),
            Node(
                "bastion-prod",
                id="6f1c2a10-0b7e-4a43-9d51-0c6b9e3a0005",
                hostname="bastion.example.com",
                username="jump",
                password="Bastion-Jump-77",
            ),
            username="ops",
            password="Prod-Ops-2024!",
        ),
        folder(
            "Lab",
            Node(
                "lab-switch",
                id="6f1c2a10-0b7e-4a43-9d51-0c6b9e3a0006",
                hostname="10.20.0.2",
                protocol="Telnet",
                port=23,
            ),
            Node(
                "legacy-box",
                id="6f1c2a10-0b7e-4a43-9d51-0c6b9e3a0007",
                hostname="10.20.0.9",
                protocol="SSH1",
                username="root",
                password="old-but-gold",
            ),
            Node(
                "lab-vnc", id="6f1c2a10-0b7e-4a43-9d51-0c6b9e3a0008", hostname="10.20.0.15", protocol="VNC", port=5900
            ),
        ),
        Node(
            "jenkins",
            id="6f1c2a10-0b7e-4a43-9d51-0c6b9e3a0009",
            hostname="ci.example.com",
            username="jenkins",
            putty_session="Jenkins keys",
        ),
    ]


def legacy_tree() -> list[Node]:
    return [
        folder(
            "Office",
            Node("fileserver", hostname="files.office.example.com", username="admin", password="Files!2015"),
            Node("printer-gw", hostname="192.168.1.20", port=2222, inherit={"Username"}),
            Node("reception-pc", hostname="192.168.1.50", protocol="RDP", port=3389),
            username="office-admin",
        )
    ]


def main(folder_path: str = "../samples/mremoteng") -> None:
    out = Path(folder_path)
    out.mkdir(parents=True, exist_ok=True)
    write(out / "confCons.xml", main_tree(), Style(version="2.8", kdf=10000))
    write(
        out / "confCons-protected.xml",
        main_tree(),
        Style(version="2.7", kdf=20000, master=PROTECTED_MASTER, full_file=True),
    )
    write(out / "confCons-v2.5.xml", legacy_tree(), Style(version="2.5", ids=False))


if __name__ == "__main__":
    main(*sys.argv[1:])
