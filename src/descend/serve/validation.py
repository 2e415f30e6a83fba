"""Request parameters, checked against bounds: a bad one raises :class:`RequestError` with a
sentence the page shows as it is.

Nothing here evaluates input as code: numbers are parsed with ``int``/``float``, names are
looked up in fixed tables.

>>> form = Form({"epochs": "20", "lr": "0.1"})
>>> form.integer("epochs", 200, low=1, high=1000), form.number("lr", 0.01, low=0, high=10)
(20, 0.1)
>>> Form({"lr": "nan"}).number("lr", 0.01, low=0, high=10)
Traceback (most recent call last):
...
descend.serve.validation.RequestError: lr must be a number greater than 0 and at most 10, got 'nan'.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any


class RequestError(ValueError):
    """A request parameter out of bounds; ``str(err)`` is one sentence for the page.

    >>> str(RequestError("epochs must be a whole number from 1 to 1000, got '0'."))
    "epochs must be a whole number from 1 to 1000, got '0'."
    """

    status = 400


class BusyError(RuntimeError):
    """Every training slot is taken; the page says so and asks to wait.

    >>> BusyError("busy").status
    503
    """

    status = 503


def shown(value: Any) -> str:
    """``value`` as an error sentence quotes it: in quotes, at most 40 characters.

    >>> shown("x" * 50)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'"
    """
    text = repr(value) if isinstance(value, str) else repr(str(value))
    return text if len(text) <= 40 else text[:37] + "...'"


class Form:
    """The parameters of one request (a query string or a JSON object), read one by one.

    Args:
        values: name -> value, as the request carried them (strings or JSON values).
        known: the names the endpoint accepts; any other name is a :class:`RequestError`.

    >>> Form({"epoch": "3"}, known=["epochs"])
    Traceback (most recent call last):
    ...
    descend.serve.validation.RequestError: unknown parameter 'epoch'; expected one of: epochs.
    """

    def __init__(self, values: Mapping[str, Any], known: Iterable[str] | None = None) -> None:
        if not isinstance(values, Mapping):
            raise RequestError("the request body must be a JSON object of settings.")
        self.values = dict(values)
        if known is not None:
            known = list(known)
            for name in self.values:
                if name not in known:
                    raise RequestError(f"unknown parameter {shown(name)}; expected one of: "
                                     f"{', '.join(known)}.")

    def integer(self, name: str, default: int, *, low: int, high: int) -> int:
        """A whole number in ``[low, high]`` (``default`` when absent).

        >>> Form({"units": "5000"}).integer("units", 50, low=1, high=512)
        Traceback (most recent call last):
        ...
        descend.serve.validation.RequestError: units must be a whole number from 1 to 512, ...
        """
        raw = self.values.get(name, default)
        try:
            value = int(raw) if not isinstance(raw, bool | float) else None
        except (TypeError, ValueError):
            value = None
        if value is None or not low <= value <= high:
            raise RequestError(f"{name} must be a whole number from {low} to {high}, "
                             f"got {shown(raw)}.")
        return value

    def number(self, name: str, default: float | None, *, low: float, high: float,
               low_inclusive: bool = False) -> float | None:
        """A finite number in ``(low, high]`` (``[low, high]`` with ``low_inclusive``).

        An absent or empty value gives ``default`` (which may be None: "use the default").

        >>> Form({"l2": "0"}).number("l2", 0.0, low=0, high=1, low_inclusive=True)
        0.0
        """
        raw = self.values.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = float(raw) if not isinstance(raw, bool) else math.nan
        except (TypeError, ValueError):
            value = math.nan
        above = value >= low if low_inclusive else value > low
        if not (math.isfinite(value) and above and value <= high):
            bound = "at least" if low_inclusive else "greater than"
            raise RequestError(f"{name} must be a number {bound} {low:g} and at most {high:g}, "
                             f"got {shown(raw)}.")
        return value

    def choice(self, name: str, default: str, choices: Iterable[str]) -> str:
        """One of ``choices`` (compared without regard to case); returns the choice's spelling.

        >>> Form({"optimizer": "ADAM"}).choice("optimizer", "sgd", ["sgd", "adam"])
        'adam'
        """
        raw = self.values.get(name, default)
        choices = list(choices)
        if isinstance(raw, str):
            for choice in choices:
                if raw.strip().lower() == choice.lower():
                    return choice
        raise RequestError(f"{name} must be one of {', '.join(choices)}; got {shown(raw)}.")

    def flag(self, name: str, default: bool) -> bool:
        """A yes/no value: true/false, 1/0, on/off, yes/no.

        >>> Form({"normalize": "off"}).flag("normalize", True)
        False
        """
        raw = self.values.get(name, default)
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "on", "yes"):
            return True
        if text in ("0", "false", "off", "no"):
            return False
        raise RequestError(f"{name} must be true or false, got {shown(raw)}.")

    def names(self, name: str, default: list[str], choices: Iterable[str], *,
              most: int) -> list[str]:
        """A comma-separated list (or JSON list) of 1 to ``most`` names from ``choices``.

        >>> Form({"optimizers": "gd,adam"}).names("optimizers", [], ["gd", "adam"], most=4)
        ['gd', 'adam']
        """
        raw = self.values.get(name, default)
        items = raw.split(",") if isinstance(raw, str) else raw
        if not isinstance(items, list) or not 1 <= len(items) <= most:
            raise RequestError(f"{name} must list 1 to {most} names, got {shown(raw)}.")
        return [Form({name: item}).choice(name, "", choices) for item in items]
