"""A three-node JetStream cluster of real nats-server processes on loopback, for the relay's tests.

Each node has its own store folder and config under the test's folder. Client and monitoring
ports are chosen by the servers themselves (``-1``, read back from each one's ports file, as
nats_child.py does). Cluster ports too, but for the first node's: JetStream on a cluster will
not start without a route configured, and nobody else's route port is known before it starts,
so it routes to itself (nats-server ignores a route to itself) on a port found free just
before; if that port is taken meanwhile, the node fails to start and another is tried. The
others route to it and learn of each other from it.

``kill(node)`` is a SIGKILL; ``start(node)`` brings the node back on the same ports with the
same store, routed to every other node, as an operator restarting it would.
``leader_of(stream)`` names the node that leads a stream (each node's /jsz says);
``healthy(node)`` is the node's own /healthz: JetStream current, its streams caught up.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.waiting import wait_until
from tui_inbox.relay.nats_child import end_process, free_port, server_binary

CLUSTER_NAME = "school"


class Node:
    def __init__(self, name: str, folder: Path) -> None:
        self.name = name
        self.folder = folder
        self.store = folder / "store"
        self.ports_dir = folder / "ports"
        self.config = folder / "nats.conf"
        self.client_port: int | None = None
        self.cluster_port: int | None = None
        self.monitor_port: int | None = None
        self.process: subprocess.Popen | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def url(self, user: str | None = None, password: str | None = None) -> str:
        auth = f"{user}:{password}@" if user else ""
        return f"nats://{auth}127.0.0.1:{self.client_port}"


class NatsCluster:
    """``start_all()`` starts the nodes and waits for JetStream's meta leader; ``stop_all()`` ends them."""

    def __init__(self, folder: Path, size: int = 3, *, user: str | None = None, password: str | None = None,
                 tls: tuple[Path, Path] | None = None) -> None:
        self.user, self.password = user, password
        self.tls = tls  # (certificate, key) PEM files: clients must speak TLS (tls:// URLs)
        self.nodes = [Node(f"n{i}", folder / f"n{i}") for i in range(size)]

    @property
    def urls(self) -> list[str]:
        """Each node's client URL (with the cluster's user and password, if it has them)."""
        urls = [node.url(self.user, self.password) for node in self.nodes]
        return [url.replace("nats://", "tls://", 1) for url in urls] if self.tls else urls

    def url(self, node: int) -> str:
        return self.urls[node]

    # -- life --------------------------------------------------------------------------------------------
    def start_all(self, timeout: float = 30.0) -> "NatsCluster":
        first = self.nodes[0]
        for attempt in range(5):
            first.cluster_port = free_port()
            try:
                self._start(first, routes=[first.cluster_port], timeout=timeout)
                break
            except RuntimeError:
                if attempt == 4:
                    raise
        for node in self.nodes[1:]:
            self._start(node, routes=[first.cluster_port], timeout=timeout)
        self.wait_healthy(timeout=timeout)
        return self

    def kill(self, node: int) -> None:
        """SIGKILL: the node's process ends at once, as in a crash."""
        process = self.nodes[node].process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait(10)

    def start(self, node: int, timeout: float = 30.0) -> None:
        """Bring a killed node back: same ports, same store, routed to every node."""
        one = self.nodes[node]
        self._start(one, routes=[n.cluster_port for n in self.nodes], timeout=timeout)

    def stop_all(self) -> None:
        for node in self.nodes:
            if node.process is not None:
                end_process(node.process)

    def _start(self, node: Node, routes: list[int], timeout: float) -> None:
        node.store.mkdir(mode=0o700, parents=True, exist_ok=True)
        shutil.rmtree(node.ports_dir, ignore_errors=True)
        node.ports_dir.mkdir(parents=True)
        auth = (f'authorization {{ user: "{self.user}", password: "{self.password}" }}\n' if self.user else "")
        if self.tls:
            auth += f'tls {{ cert_file: "{self.tls[0]}", key_file: "{self.tls[1]}" }}\n'
        route_list = ", ".join(f'"nats-route://127.0.0.1:{port}"' for port in routes)
        node.config.write_text(
            f'server_name: "{node.name}"\n'
            f'listen: "127.0.0.1:{node.client_port or -1}"\n'
            f'http: "127.0.0.1:-1"\n'
            f'ports_file_dir: "{node.ports_dir}"\n'
            f'jetstream {{ store_dir: "{node.store}" }}\n'
            f'cluster {{ name: "{CLUSTER_NAME}", listen: "127.0.0.1:{node.cluster_port or -1}", '
            f'routes: [{route_list}] }}\n' + auth)
        with open(node.folder / "server.log", "ab") as log:
            node.process = subprocess.Popen([server_binary(), "-c", str(node.config)], stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=log, env={})

        def listening() -> bool:
            if node.process.poll() is not None:
                raise RuntimeError(f"nats-server {node.name} exited at start (code {node.process.returncode})")
            ports = self._ports(node)
            if ports is None:
                return False
            node.client_port = urlsplit(ports["nats"][0]).port
            node.cluster_port = urlsplit(ports["cluster"][0]).port
            node.monitor_port = urlsplit(ports["monitoring"][0]).port
            return True

        try:
            wait_until(listening, timeout=timeout, interval=0.02)
        except RuntimeError:
            node.process = None
            raise

    def _ports(self, node: Node) -> dict | None:
        for path in node.ports_dir.glob("*.ports"):
            try:
                return json.loads(path.read_text())
            except (OSError, ValueError):  # not whole yet
                return None
        return None

    # -- what the cluster says ---------------------------------------------------------------------------
    def _monitor(self, node: int, path: str) -> httpx.Response | None:
        one = self.nodes[node]
        if not one.running or one.monitor_port is None:
            return None
        try:
            return httpx.get(f"http://127.0.0.1:{one.monitor_port}{path}", timeout=5)
        except httpx.HTTPError:
            return None

    def healthy(self, node: int) -> bool:
        """The node's JetStream is current with the cluster (its streams and consumers caught up)."""
        answer = self._monitor(node, "/healthz")
        return answer is not None and answer.status_code == 200

    def knows_meta_leader(self, node: int) -> bool:
        answer = self._monitor(node, "/jsz")
        return (answer is not None and answer.status_code == 200
                and bool((answer.json().get("meta_cluster") or {}).get("leader")))

    def wait_healthy(self, timeout: float = 30.0) -> None:
        """Every running node healthy and aware of JetStream's meta leader."""
        wait_until(lambda: all(self.healthy(i) and self.knows_meta_leader(i)
                               for i, node in enumerate(self.nodes) if node.running),
                   timeout=timeout, interval=0.05)

    def stream_state(self, node: int, stream: str) -> dict | None:
        """``stream``'s state as ``node`` holds it (messages, first_seq, last_seq, ...), None if it holds none."""
        answer = self._monitor(node, "/jsz?accounts=true&streams=true")
        if answer is None or answer.status_code != 200:
            return None
        for account in answer.json().get("account_details") or []:
            for detail in account.get("stream_detail") or []:
                if detail.get("name") == stream:
                    return detail.get("state")
        return None

    def caught_up(self, node: int, stream: str) -> bool:
        """``node`` holds every message of ``stream`` its leader holds, and says it is healthy."""
        leader = self.leader_of(stream)
        if leader is None or not self.healthy(node):
            return False
        mine, theirs = self.stream_state(node, stream), self.stream_state(leader, stream)
        return (mine is not None and theirs is not None
                and (mine["messages"], mine["last_seq"]) == (theirs["messages"], theirs["last_seq"]))

    def leader_of(self, stream: str) -> int | None:
        """The node that leads ``stream`` now, as the running nodes report it (None: no leader)."""
        for index, node in enumerate(self.nodes):
            answer = self._monitor(index, "/jsz?accounts=true&streams=true")
            if answer is None or answer.status_code != 200:
                continue
            for account in answer.json().get("account_details") or []:
                for detail in account.get("stream_detail") or []:
                    leader = (detail.get("cluster") or {}).get("leader")
                    if detail.get("name") == stream and leader:
                        for other_index, other in enumerate(self.nodes):
                            if other.name == leader and other.running:
                                return other_index
        return None

    def replicas_of(self, stream: str) -> int | None:
        """How many copies the running nodes say ``stream`` is configured with."""
        for index in range(len(self.nodes)):
            answer = self._monitor(index, "/jsz?accounts=true&streams=true&config=true")
            if answer is None or answer.status_code != 200:
                continue
            for account in answer.json().get("account_details") or []:
                for detail in account.get("stream_detail") or []:
                    if detail.get("name") == stream:
                        return (detail.get("config") or {}).get("num_replicas")
        return None

    def __enter__(self) -> "NatsCluster":
        try:
            return self.start_all()
        except BaseException:
            self.stop_all()
            raise

    def __exit__(self, *exc) -> None:
        self.stop_all()


@pytest.fixture
def nats_cluster(tmp_path):
    """Three real nats-server nodes as one JetStream cluster on loopback, stopped after the test."""
    with NatsCluster(tmp_path / "nats-cluster") as cluster:
        yield cluster


def wait_for_leader(cluster: NatsCluster, stream: str, timeout: float = 30.0, other_than: int | None = None) -> int:
    """The node that leads ``stream``, once there is one (other than ``other_than``)."""
    def leader() -> tuple[int] | None:
        found = cluster.leader_of(stream)
        return (found,) if found is not None and found != other_than else None

    return wait_until(leader, timeout=timeout, interval=0.05)[0]


async def move_leader(cluster: NatsCluster, stream: str, node: int, timeout: float = 30.0) -> None:
    """Make ``node`` lead ``stream``: ask its leader to step down in favour of it, until it does."""
    import asyncio

    import nats

    from tests.waiting import async_wait_until

    nc = await nats.connect([url for url, one in zip(cluster.urls, cluster.nodes) if one.running])
    try:
        async def leads() -> bool:
            if await asyncio.to_thread(cluster.leader_of, stream) == node:
                return True
            request = json.dumps({"placement": {"preferred": cluster.nodes[node].name}}).encode()
            try:
                await nc.request(f"$JS.API.STREAM.LEADER.STEPDOWN.{stream}", request, timeout=2)
            except Exception:  # no leader to step down right now: asked again at the next turn
                pass
            return False

        await async_wait_until(leads, timeout=timeout, interval=0.5)
    finally:
        await nc.close()
