"""Local state on disk: drafts (SQLite) and when Activity was last looked at (JSON). Never imports the UI or the network."""
