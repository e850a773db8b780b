"""The kit in deploy/, as an admin installs it: the systemd unit, the example settings, the Grafana dashboard.

systemd itself accepts the unit (``systemd-analyze verify``); the flags that the unit and the
example settings pass are ones the relay reads, so a fresh install's ``--check`` gets as far as
Canvas; and every query of the dashboard names a metric a running relay really exports, over
HTTP, with a panel for each one it exports.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.relay_fixtures import conversation_event, relay_settings
from tests.relay_signing import KeyServer, SigningKey, sign
from tui_inbox.cli import build_parser
from tui_inbox.relay.server import RunningRelay
from tui_inbox.relay.settings import settings_from_args

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNIT = DEPLOY / "tui-inbox-relay.service"
ENV_EXAMPLE = DEPLOY / "relay.env.example"
DASHBOARD = DEPLOY / "grafana-dashboard.json"
INSTALLED_AT = "/opt/tui-inbox/venv/bin/tui-inbox"
# The flags the other parts of issue 24 add, written as commented lines in the example until
# they are merged; then the parser takes them and this set is empty.


def unit_settings(text: str) -> list[tuple[str, str, str]]:
    """(section, key, value) for each setting of a unit file, continuation lines joined."""
    out, section, pending = [], "", ""
    for raw in text.splitlines():
        line = pending + raw.strip() if pending else raw.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        out.append((section, key.strip(), value.strip()))
    return out


def unit_values(key: str) -> list[str]:
    return [value for _, k, value in unit_settings(UNIT.read_text()) if k == key]


def example_variables(*, commented: bool) -> dict[str, str]:
    """RELAY_* assignments of the example settings: the live ones, or those commented out."""
    found = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.fullmatch(r"(#?)(RELAY_[A-Z_]+)=(.*)", line.strip())
        if match and bool(match.group(1)) == commented:
            found.setdefault(match.group(2), match.group(3))
    return found


def command_args(command: str, variables: dict[str, str], credentials: Path) -> list[str]:
    """A unit's command line as systemd runs it: ${VAR} replaced in place, a lone $VAR split into words
    (none when it is empty), then the words after ``tui-inbox relay``."""
    words = []
    for word in shlex.split(command.replace("${CREDENTIALS_DIRECTORY}", str(credentials))):
        if word.startswith("$"):
            words += variables.get(word[1:], "").split()
        else:
            words.append(word)
    assert words[:2] == [INSTALLED_AT, "relay"], words[:2]
    return words[2:]


# -- the unit -------------------------------------------------------------------------------

def test_systemd_accepts_the_unit(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here (Debian: apt-get install systemd); .ci/run installs it")
    # verify also checks that the program exists: point it at this environment's tui-inbox.
    here = Path(sys.executable).parent / "tui-inbox"
    assert here.exists(), "pip install -e . puts the tui-inbox script beside the interpreter"
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text().replace(INSTALLED_AT, str(here)))
    done = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    # An unknown key or a bad value is only a warning (exit 0): any word about the unit is a failure.
    said = [line for line in (done.stdout + done.stderr).splitlines() if UNIT.name in line or str(here) in line]
    assert done.returncode == 0 and said == [], done.stdout + done.stderr


def test_the_unit_checks_before_it_starts_and_runs_hardened():
    start, check = unit_values("ExecStart"), unit_values("ExecStartPre")
    assert len(start) == 1 and len(check) == 1
    assert check[0] == start[0].replace(f"{INSTALLED_AT} relay", f"{INSTALLED_AT} relay --check", 1)
    expected = {"LimitNOFILE": "65536", "DynamicUser": "yes", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
                "ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes", "CapabilityBoundingSet": "",
                "SystemCallFilter": "@system-service", "Restart": "on-failure",
                "EnvironmentFile": "/etc/tui-inbox/relay.env"}
    for key, value in expected.items():
        assert unit_values(key) == [value], key
    assert "AF_INET" in unit_values("RestrictAddressFamilies")[0]
    # The admin token is a credential file, never a value in the unit.
    assert not any("TUI_INBOX_RELAY_ADMIN_TOKEN" in value for _, _, value in unit_settings(UNIT.read_text()))


def test_every_flag_of_the_unit_and_the_example_is_one_the_relay_accepts(tmp_path):
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "admin-token").write_text("7~token-from-the-credential\n")
    live = example_variables(commented=False)
    defaults = dict(pair.split("=", 1) for value in unit_values("Environment") for pair in value.split())
    # Every variable the commands use has an empty default in the unit, and the example names each one.
    used = set(re.findall(r"\$(RELAY_[A-Z_]+)", unit_values("ExecStart")[0]))
    assert used == set(defaults) and all(value == "" for value in defaults.values())
    assert used == set(live) | set(example_variables(commented=True))

    args = command_args(unit_values("ExecStart")[0], live, credentials)
    parsed = build_parser().parse_args(["relay", *args])  # a flag it does not know exits 2 here
    settings = settings_from_args(parsed, environ={})
    assert settings.canvas_url.startswith("https://") and settings.port == 8600
    assert settings.admin_token == "7~token-from-the-credential"  # read with the unit's token command
    assert build_parser().parse_args(["relay", *command_args(unit_values("ExecStartPre")[0], live,
                                                             credentials)]).check

    # Each commented line's flags: the relay takes them, or another part of issue 24 adds them.
    known = {action for action in _relay_flags()}
    for name, value in example_variables(commented=True).items():
        flag = value.split()[0]
        assert flag in known, f"{name}: {flag} is no flag of the relay"
        build_parser().parse_args(["relay", *args, *value.split()])


def _relay_flags() -> set[str]:
    parser = build_parser()
    relay = next(action for action in parser._subparsers._group_actions if action.dest == "command").choices["relay"]
    return {flag for action in relay._actions for flag in action.option_strings}


# -- the dashboard --------------------------------------------------------------------------

def dashboard_queries(node) -> list[str]:
    """Every PromQL query of the dashboard: the panels' expressions and the variables' queries."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("expr", "definition") and isinstance(value, str):
                found.append(value)
            elif key == "query" and isinstance(value, str):
                found.append(value)
            else:
                found += dashboard_queries(value)
    elif isinstance(node, list):
        for item in node:
            found += dashboard_queries(item)
    return found


def exported(base_url: str) -> tuple[set[str], set[str]]:
    """The sample names a relay's /metrics holds, and its metric families, scraped as Prometheus does."""
    text = httpx.get(base_url + "/metrics", timeout=10).text
    # prometheus_client also exports when each counter began (NAME_created): a timestamp, not a figure to chart.
    families = [family for family in text_string_to_metric_families(text)
                if family.name.startswith("relay_") and not family.name.endswith("_created")]
    names = {sample.name for family in families for sample in family.samples}
    # A labelled family has no series until something is counted under a label (a resync's reason,
    # a refused handshake's): the names Prometheus will scrape then follow from its type.
    for family in families:
        if not family.samples:
            names |= {"counter": {family.name + "_total"}, "gauge": {family.name},
                      "histogram": {family.name + suffix for suffix in ("_bucket", "_sum", "_count")}}[family.type]
    return names, {family.name for family in families}


def test_every_dashboard_query_names_a_metric_a_running_relay_exports(nats_server):
    dashboard = json.loads(DASHBOARD.read_text())
    key = SigningKey("2026-12")
    with KeyServer([key]) as keys, RunningRelay(relay_settings(nats_server.url, keys.url)) as relay:
        # One event stored and one refused, so that the labelled and observed series exist.
        assert httpx.post(relay.info.events_url, content=sign(conversation_event(), key), timeout=10).status_code == 202
        assert httpx.post(relay.info.events_url, content=b"not an event", timeout=10).status_code == 400
        samples, families = exported(relay.base_url)

    queries = dashboard_queries(dashboard)
    assert len(queries) >= 15
    named = {name for query in queries for name in re.findall(r"\brelay_[a-z0-9_]+", query)}
    assert named and named <= samples, f"not exported: {sorted(named - samples)}"
    # Each family the relay exports has a panel (a counter's series is NAME_total, a histogram's NAME_bucket).
    shown = {family for family in families if any(name == family or name.startswith(family + "_") for name in named)}
    assert shown == families, f"no panel for: {sorted(families - shown)}"


def test_the_dashboard_imports_with_a_prometheus_datasource_and_unique_panels():
    dashboard = json.loads(DASHBOARD.read_text())
    assert [entry["pluginId"] for entry in dashboard["__inputs"]] == ["prometheus"]
    panels = dashboard["panels"]
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids))
    titles = {panel["title"] for panel in panels}
    for wanted in ("Events received", "Ingest latency", "Events routed", "Frames delivered", "Open connections",
                   "Broker lag", "Event age on arrival", "Refusals by reason"):
        assert wanted in titles
    for panel in panels:
        if panel["type"] != "row":
            assert panel["targets"] and panel["description"]
            assert all(target["datasource"]["uid"] == "${DS_PROMETHEUS}" for target in panel["targets"])
