"""tui-inbox: a keyboard-driven terminal inbox for Canvas LMS."""

import sys

# httpx imports its own command-line tool at import (httpx._main: click, and rich's syntax
# highlighting with pygments) when click is installed, as it is here for other tools. tui-inbox
# never runs that tool, and those imports were a sixth of the app's own start before its first
# frame. With the module marked absent, httpx falls back to its stub ``httpx.main``; an httpx
# imported before tui_inbox (a test runner's) is left as it is.
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)
