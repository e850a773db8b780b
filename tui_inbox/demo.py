"""``tui-inbox demo``: the app on a sandbox school started inside this process.

No Canvas account and no network: the sandbox serves on a free loopback port, the
app signs in as its seeded teacher, and with ``--activity`` other people write, so a
newcomer sees a living inbox at once. ``--config`` lends its ``[ui]`` and ``[keys]``, so a
person can try a theme or a keymap before having an account; its account is never used.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from . import config as config_module
from .config import Config, data_dir
from .launch import Account, build_accounts_app, build_app, check_account, check_settings, run


def demo_settings(cli_path: str | None) -> Config:
    """The ``[ui]`` and ``[keys]`` of ``--config`` (checked, before the sandbox starts); nothing else of it."""
    if not cli_path:
        return Config()
    loaded = config_module.load(cli_path)
    check_settings(loaded)
    return Config(path=loaded.path, ui=loaded.ui, keys=loaded.keys)


def run_demo(args: argparse.Namespace) -> int:
    config = demo_settings(args.config)
    from .sandbox.server import RunningSandbox
    from .sandbox.state import Knobs

    schools = getattr(args, "schools", 1)
    sandboxes = [RunningSandbox(Knobs(seed=args.seed, activity=args.activity, conversations=args.conversations,
                                      course_students=args.course_students)).start()]
    try:
        if schools > 1:
            # The second school: another Canvas (other people, courses and ids) where the same
            # teacher also works; quiet, and polled rather than live, as many schools are.
            sandboxes.append(RunningSandbox(Knobs(seed=args.seed, institution=2)).start())
        accounts = [demo_account(sandbox, name, live=number == 0)
                    for number, (sandbox, name) in enumerate(zip(sandboxes, DEMO_NAMES))]
        user_ids = [asyncio.run(check_account(account)) for account in accounts]
        # The demo's schools are made anew on every run: a cache (and search index) from an earlier
        # run would show that school's conversations under this one's ids. They live for this run only.
        with tempfile.TemporaryDirectory(prefix="tui-inbox-demo-") as store:
            drafts = data_dir() / "demo-drafts.sqlite3"
            if len(accounts) == 1:
                app = build_app(config, accounts[0], user_id=user_ids[0], drafts_path=drafts,
                                drafts_account="demo", store_folder=Path(store))
            else:
                app = build_accounts_app(config, list(zip(accounts, user_ids)), drafts_path=drafts,
                                         store_folder=Path(store), drafts_accounts=["demo", "demo-2"])
            run(app)
    finally:
        for sandbox in sandboxes:
            sandbox.stop()
    return 0


DEMO_NAMES = ("state", "river")  # the tags of the two schools' rows


def demo_account(sandbox, name: str, *, live: bool) -> Account:
    teacher = next(u for u in sandbox.info.users if u["role"] == "teacher")
    return Account(sandbox.base_url, teacher["token"], sandbox.live_url if live else None,
                   trusted_live_url=live, name=name, poll_seconds=None if live else 30.0)
