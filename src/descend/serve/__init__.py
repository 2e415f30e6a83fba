"""``descend serve``: the browser pages — Boston Housing training live, a dashboard for any
``fit``, and a gradient-descent playground — on a small local web server.

Needs the ``web`` extra (``pip install "descend[web]"``: Starlette and uvicorn). The pages
are plain files in ``static/`` with Chart.js vendored beside its licence; nothing is fetched
from the internet at run time.

The web stack is imported only when it is used:

>>> import descend.serve
>>> sorted(descend.serve.__all__)
['Dashboard', 'create_app', 'serve']
"""

from __future__ import annotations

from typing import Any

__all__ = ["Dashboard", "create_app", "serve"]


def __getattr__(name: str) -> Any:
    if name == "Dashboard":
        from descend.serve.dashboard import Dashboard

        return Dashboard
    if name in ("create_app", "serve"):
        from descend.serve import app

        return getattr(app, name)
    raise AttributeError(f"module 'descend.serve' has no attribute {name!r}")
