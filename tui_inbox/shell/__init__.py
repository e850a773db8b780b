"""The inbox from the shell: ``tui-inbox VERB ...`` for scripts, hooks and status bars.

Each verb reuses the core (Canvas's scopes, the patterns of ``/``, the cache, the search
index) and prints readable text, or with ``--json`` one object or array whose shape the
README's "Scripting" section documents (``--ndjson`` for streams). Exit status: 0 when it
did what was asked, 1 when nothing matched or it refused, 2 for a usage or config mistake.

Reading never marks anything read unless asked (``show --mark-read``), and never writes the
store the app may have open: the cache is opened read-only (store/cache.py ``read_only``).
Changes (``archive``, ``star``, ``mark-read`` ... ``undo``) go to Canvas alone, previewed with
``--dry-run``, asked about above 20 conversations, and undone from a journal of their own.
"""
