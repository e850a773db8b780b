"""The import contract of ARCHITECTURE.md, kept true by reading every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "tui_inbox"

# layer -> modules it must never import (prefix match on the dotted name)
FORBIDDEN = {
    "canvas": ("textual", "tui_inbox.ui", "tui_inbox.sandbox", "tui_inbox.inbox", "tui_inbox.live", "tui_inbox.store"),
    "live": ("textual", "tui_inbox.ui", "tui_inbox.sandbox", "tui_inbox.inbox", "tui_inbox.store"),
    "store": ("textual", "tui_inbox.ui", "tui_inbox.sandbox", "httpx"),
    "inbox": ("textual", "tui_inbox.ui", "tui_inbox.sandbox", "httpx"),
    # The server and the client are two independent readings of Canvas.
    "sandbox": ("textual", "tui_inbox.ui", "tui_inbox.canvas", "tui_inbox.live", "tui_inbox.inbox", "tui_inbox.store"),
    # The relay asks Canvas through canvas/ and is tested from outside by the sandbox.
    "relay": ("textual", "tui_inbox.ui", "tui_inbox.inbox", "tui_inbox.store", "tui_inbox.sandbox"),
    # Widgets never call HTTP: the UI goes through inbox/.
    "ui": ("httpx", "websockets", "tui_inbox.sandbox.conversations", "tui_inbox.canvas.http"),
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module.removesuffix(".__init__")
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)
    return found


def modules_of(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_what_it_may(layer):
    violations = []
    for path in modules_of(layer):
        for name in imports_of(path):
            for banned in FORBIDDEN[layer]:
                if name == banned or name.startswith(banned + "."):
                    violations.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not violations, "\n".join(violations)


def test_the_checker_sees_relative_imports():
    # A guard on the guard: the sandbox's relative imports resolve to tui_inbox.sandbox.*.
    names = imports_of(PACKAGE / "sandbox" / "app.py")
    assert any(n.startswith("tui_inbox.sandbox.state") for n in names)


def test_the_core_tells_what_changed_with_typed_values_not_string_kinds():
    """ARCHITECTURE.md: changes flow up as the frozen values of inbox/changes.py. An ``emit`` whose
    first argument is a string (the old ``emit("view")``) would reach a listener that matches on types."""
    found = []
    for path in modules_of("inbox"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "emit"
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not found, "string kinds emitted at " + ", ".join(found)


async def test_the_app_handles_every_kind_of_change(make_inbox_app):
    """One value of each kind in inbox/changes.py goes through the app's handler: a kind nobody
    handles ends in ``assert_never``, and fails here (and in a type check)."""
    import typing

    from tests.conftest import ready
    from tui_inbox.inbox import changes
    from tui_inbox.inbox.bulk_sends import SendProgress

    samples = {
        changes.ThreadShown: changes.ThreadShown(None), changes.ThreadUpdated: changes.ThreadUpdated(None),
        changes.RowsArrived: changes.RowsArrived(frozenset({1})), changes.Failed: changes.Failed("a failure"),
        changes.DiscussionShown: changes.DiscussionShown(None),
        changes.SendDone: changes.SendDone(SendProgress(1, "Notes", 3, 1.0, 0.0)),
        changes.OutboxSaid: changes.OutboxSaid("Outbox: archived 1 conversation", False),
        changes.WentOffline: changes.WentOffline(None),
    }
    kinds = typing.get_args(changes.Change)
    assert len(kinds) == len(set(kinds)) >= 16
    app = make_inbox_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        for kind in kinds:
            app._paint_change(samples.get(kind) or kind())
        await pilot.pause()
        said = [entry.text for entry in app.status.history]
        assert {"a failure", "Sent “Notes” to 3 people, one conversation each.",
                "Outbox: archived 1 conversation"} <= set(said)
