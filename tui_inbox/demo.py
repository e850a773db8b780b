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
from .launch import Account, build_app, check_account, check_settings, run


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

    sandbox = RunningSandbox(Knobs(seed=args.seed, activity=args.activity, conversations=args.conversations,
                                   course_students=args.course_students)).start()
    try:
        teacher = sandbox.info.users[0]
        account = Account(sandbox.base_url, teacher["token"], sandbox.live_url, trusted_live_url=True)
        user_id = asyncio.run(check_account(account))
        # The demo's school is made anew on every run: a cache (and search index) from an earlier
        # run would show that school's conversations under this one's ids. They live for this run only.
        with tempfile.TemporaryDirectory(prefix="tui-inbox-demo-") as store:
            app = build_app(config, account, user_id=user_id, drafts_path=data_dir() / "demo-drafts.sqlite3",
                            drafts_account="demo", store_folder=Path(store))
            run(app)
    finally:
        sandbox.stop()
    return 0
