"""How many copies JetStream keeps of the relay's streams, and why that many.

One copy on one server; on a cluster, a stream of one replica lives on one node and is gone
with it. So the default is 3 (a lost node leaves a majority of two, which elects a new
leader) when the cluster has at least three servers, else 1; ``--replicas N`` overrides it.
The cluster's size is what the connected server tells its clients: its INFO's
``connect_urls`` lists the client URLs of every server of the cluster, its own included.
"""

from __future__ import annotations

DEFAULT_CLUSTER_REPLICAS = 3

# JetStream's answers when it cannot place that many copies: "replicas > 1 not supported in
# non-clustered mode" (10074) and "insufficient resources" (10023).
REFUSED_CODES = {10074, 10023}


class ReplicasRefused(Exception):
    """JetStream cannot keep as many copies as asked; the message is its own description."""


def cluster_size(nc) -> int:
    """The servers of the cluster the connection is in (1 for a server alone)."""
    # nats-py keeps the server's INFO only as this attribute; it is what its own discovery reads.
    info = getattr(nc, "_server_info", None) or {}
    return max(1, len(set(info.get("connect_urls") or ())))


def choose_replicas(asked: int | None, servers: int) -> tuple[int, str]:
    """The replicas to declare, and why, as the start line says it."""
    if asked is not None:
        return asked, f"--replicas {asked} (the cluster has {servers} server(s))"
    if servers >= DEFAULT_CLUSTER_REPLICAS:
        return DEFAULT_CLUSTER_REPLICAS, (f"the cluster has {servers} servers: each event is kept on "
                                          f"{DEFAULT_CLUSTER_REPLICAS}, so losing one loses nothing")
    return 1, f"NATS has {servers} server(s), fewer than {DEFAULT_CLUSTER_REPLICAS}: one copy (--replicas to change)"


def raise_if_replicas_refused(error) -> None:
    """``ReplicasRefused`` for a JetStream API error that says the copies cannot be placed."""
    description = getattr(error, "description", "") or ""
    if getattr(error, "err_code", None) in REFUSED_CODES or "replica" in description.lower():
        raise ReplicasRefused(description or "no room for the copies") from None
