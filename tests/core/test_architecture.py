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
    # The verbs for scripts (and the MCP server) use the core as the app does, never the UI.
    "shell": ("textual", "tui_inbox.ui", "tui_inbox.sandbox"),
    # Widgets never call HTTP: the UI goes through inbox/.
    "ui": ("httpx", "websockets", "tui_inbox.sandbox.conversations", "tui_inbox.canvas.http"),
}


def imports_of(path: Path) -> set[str]:
    return imports_of_text(path.read_text(encoding="utf-8"), path)


def imports_of_text(text: str, path: Path) -> set[str]:
    """The dotted names ``text`` imports, read as the module at ``path`` (relative imports resolved)."""
    tree = ast.parse(text)
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


SESSION = PACKAGE / "inbox" / "session.py"
LONGEST_MODULE = 500  # lines: past this a module holds more than one idea


def parts_of_the_core() -> list[Path]:
    """Every module of inbox/ but the session, which assembles them."""
    return [path for path in modules_of("inbox") if path != SESSION]


def test_no_part_of_the_core_imports_the_session():
    """ARCHITECTURE.md: each part is built from the few things it needs (inbox/ports.py), never the
    whole session; an import made only for type checking counts too (the walker sees those)."""
    found = [f"{path.relative_to(PACKAGE)} imports {name}" for path in parts_of_the_core()
             for name in imports_of(path)
             if name == "tui_inbox.inbox.session" or name.startswith("tui_inbox.inbox.session.")]
    assert not found, "\n".join(found)


def test_the_walker_sees_imports_made_only_for_type_checking():
    # A guard on the guard: a part that imports the session for a type hint alone is caught.
    text = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .session import InboxSession\n"
    assert "tui_inbox.inbox.session" in imports_of_text(text, PACKAGE / "inbox" / "triage.py")


def test_no_part_of_the_core_takes_the_session_as_a_parameter():
    """Not by its type (``InboxSession``, in a hint or a string) nor by its name (``session``)."""
    found = []
    for path in parts_of_the_core():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            args = node.args
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                if arg is None:
                    continue
                hint = ast.unparse(arg.annotation) if arg.annotation is not None else ""
                if "InboxSession" in hint or arg.arg == "session":
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {arg.arg}: {hint or '(no hint)'}")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("layer", ["inbox"])
def test_no_module_is_over_500_lines(layer):
    long = [f"{path.relative_to(PACKAGE)}: {lines} lines" for path in modules_of(layer)
            if (lines := len(path.read_text(encoding="utf-8").splitlines())) > LONGEST_MODULE]
    assert not long, "\n".join(long)


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
        account = app.accounts.names[0]
        for kind in kinds:  # each account's changes come tagged with the account
            app._paint_change(changes.AccountChange(account, samples.get(kind) or kind()))
        from tui_inbox.inbox.accounts import AccountState

        merged = {changes.AccountChange: None, changes.MergedSelectionChanged: changes.MergedSelectionChanged(),
                  changes.AccountStateChanged: changes.AccountStateChanged(account, AccountState.OFFLINE, "gone")}
        assert set(typing.get_args(changes.MergedChange)) == set(merged)
        for change in merged.values():
            if change is not None:
                app._paint_change(change)
        await pilot.pause()
        said = [entry.text for entry in app.status.history]
        assert {"a failure", "Sent “Notes” to 3 people, one conversation each.",
                "Outbox: archived 1 conversation"} <= set(said)


# -- the app assembles; screens and controllers do the work (ARCHITECTURE.md) ------------------------

UI = PACKAGE / "ui"


def ui_modules() -> list[Path]:
    return sorted(UI.rglob("*.py"))


@pytest.mark.parametrize("room", ["controllers", "widgets", "screens"])
def test_controllers_widgets_and_screens_never_import_the_app(room):
    """They get what they need handed to them (controllers/host.py's Protocol, the main screen),
    so each can be read without the app. An import made only for a type hint counts too: ``imports_of``
    walks the whole tree, ``if TYPE_CHECKING:`` blocks and functions' bodies included."""
    found = [f"{path.relative_to(PACKAGE)} imports {name}" for path in modules_of(f"ui/{room}")
             for name in imports_of(path) if name == "tui_inbox.ui.app" or name.startswith("tui_inbox.ui.app.")]
    assert not found, "\n".join(found)


def test_the_checker_sees_imports_made_for_type_checking_only():
    # A guard on the guard: an import under ``if TYPE_CHECKING:`` is one of the module's imports.
    sample = PACKAGE / "ui" / "controllers" / "base.py"
    names = imports_of(sample)
    assert "tui_inbox.ui.screens.main.InboxScreen" in names


def test_the_app_only_assembles():
    """ui/app.py holds config, the keymap and the session's lifetime: a few hundred lines."""
    lines = len((UI / "app.py").read_text(encoding="utf-8").splitlines())
    assert lines < 400, f"ui/app.py has {lines} lines"


@pytest.mark.parametrize("path", ui_modules(), ids=lambda path: str(path.relative_to(UI)))
def test_no_ui_module_is_over_500_lines(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= 500, f"ui/{path.relative_to(UI)} has {lines} lines: split it by what its parts do"


def test_no_class_in_ui_mixes_in_another():
    """No mixins: a class in ui/ descends from one class (a Textual one, or one of ours), so what it
    does is in its own body or its one base, never spread over classes that need each other's
    methods by name. A base named ...Keys or ...Mixin is a mixin whatever else the class has."""
    found = []
    for path in ui_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = [ast.unparse(base) for base in node.bases]
            named = [base for base in bases if base.split("[")[0].endswith(("Keys", "Mixin"))]
            if len(bases) > 1 or named:
                found.append(f"ui/{path.relative_to(UI)}: class {node.name}({', '.join(bases)})")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("room", ["controllers", "widgets"])
def test_widgets_and_controllers_never_reach_for_the_app(room):
    """Widgets talk up with Messages, and controllers ask their Host: ``self.app`` (or a screen's
    ``.app``) would tie them to this app's methods all the same as an import."""
    found = []
    for path in modules_of(f"ui/{room}"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "app":
                found.append(f"ui/{room}/{path.name}:{node.lineno}")
    assert not found, "reaching for the app at " + ", ".join(found)
