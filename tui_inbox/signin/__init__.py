"""Signing in with Canvas's OAuth2 (PKCE) from a terminal: the browser's way and the pasted code's.

Used by `tui-inbox init`, `login` and `logout`; never imported by the app's start, so Authlib
and the keyring cost nothing there.
"""
