"""A Griffe extension for the API reference: show docstring examples and references as code.

descend's docstrings carry runnable ``>>>`` examples (the test suite runs them as doctests).
Markdown would read them as quotes, and their outputs such as ``[1.0, 2.0]`` as links, so this
extension fences every run of ``>>>`` lines with their outputs as a ``pycon`` code block. The
Sphinx roles the docstrings use (``:func:`~descend.lab.race` ``) become inline code.
"""

from __future__ import annotations

import re
from typing import Any

import griffe


def fence_examples(text: str) -> str:
    """Wrap each doctest example (from ``>>>`` to the next blank line) in a pycon fence.

    >>> fence_examples("Text.\\n\\n>>> 1 + 1\\n2\\n\\nMore.").splitlines()
    ['Text.', '', '```pycon', '>>> 1 + 1', '2', '```', '', 'More.']
    """
    out: list[str] = []
    inside = False
    indent = ""
    for line in text.splitlines():
        stripped = line.lstrip()
        if not inside and stripped.startswith(">>>"):
            indent = line[: len(line) - len(stripped)]
            out.append(f"{indent}```pycon")
            inside = True
        elif inside and not stripped:
            out.append(f"{indent}```")
            inside = False
        out.append(line)
    if inside:
        out.append(f"{indent}```")
    return "\n".join(out)


ROLE = re.compile(r":(?:func|class|meth|mod|data|attr):`(~?)([\w.]+)`")


def plain_roles(text: str) -> str:
    """Sphinx roles as inline code; ``~`` keeps the last name only.

    >>> plain_roles("see :func:`~descend.lab.race.race` and :class:`dc.lab.Race`")
    'see `race` and `dc.lab.Race`'
    """
    return ROLE.sub(lambda m: f"`{m[2].rsplit('.', 1)[-1] if m[1] else m[2]}`", text)


class DoctestFences(griffe.Extension):
    """Fence the ``>>>`` examples and plain the roles of every docstring Griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = plain_roles(fence_examples(obj.docstring.value))
