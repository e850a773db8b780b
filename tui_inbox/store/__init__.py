"""Local state on disk: drafts (SQLite). Never imports the UI or the network."""
