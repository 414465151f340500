"""`simspot lab up|down|status`: a network-namespace lab for the real data plane (root)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from simspot.cli.common import JsonOpt, console, emit, errors_as_messages, tr

app = typer.Typer(help="A network-namespace lab to try the real data plane without a modem (root).")

PrefixOpt = Annotated[
    str, typer.Option("--prefix", help="Namespace name prefix (several labs can coexist).")
]


def _lab(prefix: str, clients: int = 0) -> Any:
    from simspot.dataplane.lab import Lab
    from simspot.dataplane.settings import check_ifname

    try:
        check_ifname(prefix)
    except ValueError:
        from simspot.errors import SimspotValueError

        raise SimspotValueError(
            msg_id="cli.lab.bad-prefix", params={"value": repr(prefix)}, field="--prefix"
        ) from None
    return Lab(prefix, clients)


def _render(st: dict[str, Any]) -> None:
    def line(msg_id: str, **params: Any) -> None:
        console.print(tr(msg_id, **params), markup=False)

    if not st["up"]:
        line("cli.lab.down", prefix=st["prefix"])
        return
    line("cli.lab.up", prefix=st["prefix"], router=st["router"], internet=st["internet"])
    line("cli.lab.servers", ipv4=st["server_ipv4"], ipv6=st["server_ipv6"])
    for c in st["clients"]:
        v6 = ", ".join(c["ipv6"]) or "-"
        v4 = c["ipv4"] or tr("cli.lab.no-lease")
        console.print(f"  {c['namespace']}  {c['mac']}  {v4}  {v6}", markup=False)
    if st.get("config"):
        line("cli.lab.run-daemon")
        console.print(f"  ip netns exec {st['router']} simspot serve --config {st['config']}")


@app.command()
def up(
    clients: Annotated[int, typer.Option(help="Client namespaces.", min=1, max=250)] = 2,
    prefix: PrefixOpt = "sslab",
    as_json: JsonOpt = False,
) -> None:
    """Create the namespaces, the uplink veth, the LAN bridge, clients (dhclient) and servers."""
    with errors_as_messages(as_json):
        lab = _lab(prefix, clients)
        lab.up()
        emit(lab.status(), as_json, _render)


@app.command()
def down(prefix: PrefixOpt = "sslab", as_json: JsonOpt = False) -> None:
    """Stop every process of the lab (and of a daemon run inside it); delete its namespaces.

    Fails, naming them, when a process or a namespace survives.
    """
    with errors_as_messages(as_json):
        removed = _lab(prefix).down()  # raises, naming them, if processes or namespaces survive
        emit(
            {"prefix": prefix, "removed": removed},
            as_json,
            lambda d: console.print(
                tr("cli.lab.removed", prefix=prefix, count=len(d["removed"])), markup=False
            ),
        )


@app.command()
def status(prefix: PrefixOpt = "sslab", as_json: JsonOpt = False) -> None:
    """Show the lab's namespaces and the clients' addresses."""
    with errors_as_messages(as_json):
        emit(_lab(prefix).status(), as_json, _render)
