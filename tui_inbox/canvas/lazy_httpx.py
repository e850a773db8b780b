"""httpx, its code run at its first use rather than when the canvas package is imported.

A start from the cache paints its first screen before it sends a request, and httpx with
what it brings (ssl, email, http.cookiejar, idna, ...) was about a sixth of that start.
``importlib.util.LazyLoader`` is the standard library's recipe for this: the module put in
``sys.modules`` runs httpx's own code at its first attribute access (``httpx.URL``, an
``except httpx.TimeoutException`` that is reached, a request), and is httpx from then on.
Annotations name httpx freely: with ``from __future__ import annotations`` they are text.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_module(name: str) -> ModuleType:
    """The module itself if something imported it already, else one that loads at first use."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


httpx = lazy_module("httpx")
