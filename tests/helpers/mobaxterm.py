"""Building MobaXterm session lines for tests: the G3 field list of an SSH session and a whole line."""

from __future__ import annotations

G4 = "MobaFont%10%0%0%-1%15%236,236,236%30,30,30%180,180,192%0%-1%0%%xterm%-1%0%_Std_Colors_0_%80%24%0%1%-1"


def ssh_g3(
    host="h.example.org",
    port="22",
    user="",
    gw_hosts="",
    gw_ports="",
    gw_users="",
    key="",
    gw_keys="",
    proxy_type="0",
    proxy_host="",
    agent_fwd="0",
) -> str:
    fields = [
        "0",
        host,
        port,
        user,
        "",
        "-1",
        "-1",
        "",
        gw_hosts,
        gw_ports,
        gw_users,
        "0",
        "0",
        "0",
        key,
        gw_keys,
        "-1",
        "0",
        "0",
        proxy_type,
        proxy_host,
        "1080",
        "",
        "0",
        "0",
        "1",
        "",
        "0",
        "",
        "",
        "",
        "0",
        "-1",
        "-1",
        agent_fwd,
    ]
    return "%".join(fields)


def line(name: str, g3: str, comment: str = " ", icon: str = "109") -> str:
    return f"{name}= #{icon}#{g3}#{G4}#0#{comment}#-1"
