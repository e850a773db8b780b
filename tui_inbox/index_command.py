"""``tui-inbox index [--all]``: fill the search index without the UI, with a progress line.

By default the newest 1,000 conversations (as the app's background indexer does); ``--all``
every one. It paces itself as the app's indexer does, so it can run beside the app. With several
accounts and no ``--account``, each account in turn, its outcome on a line of its own.
"""

from __future__ import annotations

import asyncio
import sys

from .canvas import CanvasClient, CanvasError
from .config import AccountSettings, Config, ConfigError
from .inbox.indexer import DEFAULT_LIMIT, Indexer, IndexProgress
from .launch import Account, account_key, account_of, check_account, open_search_index


def run_every_index(config: Config, accounts: list[AccountSettings], *, everything: bool) -> int:
    """Index each account in turn; one that fails is said on its line and the others go on."""
    if len(accounts) == 1:
        return run_index(config, account_of(config, accounts[0]), everything=everything)
    failed = 0
    for account in accounts:
        try:
            run_index(config, account_of(config, account), everything=everything, label=f"{account.name}: ")
        except ConfigError as error:
            failed += 1
            print(f"{account.name}: {' '.join(str(error).split())}", file=sys.stderr)
    return 1 if failed else 0


def run_index(config: Config, account: Account, *, everything: bool, label: str = "") -> int:
    user_id = asyncio.run(check_account(account))
    index = open_search_index(account_key(account.base_url, user_id))
    if index is None:
        return 1
    # The progress line rewrites itself with \r, which only a terminal reads that way: in a log
    # file or a pipe it would be one endless line, so there only the outcome is written.
    terminal = sys.stderr.isatty()
    try:
        progress = asyncio.run(_index(account, index, None if everything else DEFAULT_LIMIT, terminal))
    finally:
        index.close()
    start = "\r" if terminal else ""
    print(f"{start}{label}Indexed {progress.done:,} of {progress.total:,} conversations "
          f"({progress.fetched:,} fetched now).", file=sys.stderr)
    return 0


async def _index(account: Account, index, limit: int | None, terminal: bool) -> IndexProgress:
    def shown(progress: IndexProgress) -> None:
        print(f"\r{progress.line()}", end="", file=sys.stderr, flush=True)

    client = CanvasClient(account.base_url, account.token)
    try:
        return await Indexer(client, index, limit=limit, on_progress=shown if terminal else None).run()
    except CanvasError as error:
        raise ConfigError(f"indexing stopped: {error}; what is indexed is kept, run it again to go on") from None
    finally:
        await client.aclose()
