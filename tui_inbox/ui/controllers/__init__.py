"""The main screen's controllers: each turns one family of keys into calls of the core (inbox/).

They hold no widgets of their own: they read and paint through the main screen
(screens/main.py), and reach the app only through ``Host`` (host.py), never ui/app.py.
"""
