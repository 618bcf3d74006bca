"""Extension points: how a lower app lets higher apps plug in without importing them.

The app layers (pyproject.toml, `[tool.importlinter]`) let an app import only the apps below
it. When a lower app's rule needs something only a higher app knows (an enterprise's merge
also moves its projects; a project's stage move waits for its guarantees), the lower app
declares a `Hooks` and the higher app registers its function there in its
`AppConfig.ready()`. An app that is not installed simply registers nothing.
"""

from collections.abc import Callable, Iterator
from typing import Any


class Hooks[F: Callable[..., Any]]:
    """Functions registered under a key, iterated in `order` (then registration order).

    Registering the same key again replaces the earlier function, so a second `ready()`
    (as in some test set-ups) does not call a function twice."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._entries: dict[str, tuple[int, int, F]] = {}
        self._counter = 0

    def register(self, fn: F, *, key: str = "", order: int = 0) -> F:
        """Plug `fn` in under `key` (default: its module and name)."""
        key = key or f"{fn.__module__}.{fn.__qualname__}"
        previous = self._entries.get(key)
        seq = previous[1] if previous else self._counter
        self._counter += 1
        self._entries[key] = (order, seq, fn)
        return fn

    def __iter__(self) -> Iterator[F]:
        for _order, _seq, fn in sorted(self._entries.values(), key=lambda e: e[:2]):
            yield fn

    def __getitem__(self, key: str) -> F:
        try:
            return self._entries[key][2]
        except KeyError:
            raise KeyError(f"nothing registered as {key!r} in {self.name}") from None

    def get(self, key: str) -> F | None:
        entry = self._entries.get(key)
        return entry[2] if entry else None

    def items(self) -> list[tuple[str, F]]:
        """(key, function) pairs, in the order of iteration."""
        entries = sorted(self._entries.items(), key=lambda kv: kv[1][:2])
        return [(key, fn) for key, (_order, _seq, fn) in entries]

    def __repr__(self) -> str:
        return f"<Hooks {self.name}: {', '.join(self._entries)}>"


# How code in core tells people (`notify(users, kind=, title=, body=, url=, target=)`): the
# notifications app registers its `notify` here, so core never imports it.
notifiers: Hooks[Callable[..., Any]] = Hooks("core.hooks.notifiers")
