"""Plain value classes that behave as the dataclasses they replace: compared, hashed and
shown by their fields, frozen where the dataclass was frozen. A dataclass costs about a
millisecond to create, and lint imports a dozen of them on every run.

A class lists its fields in `__slots__` and sets them in its own `__init__` (kept explicit:
findings are made by the thousand). `_KEY` names the fields that take part in comparisons
and the repr when not all of them do. `Frozen` adds immutability, copying and pickling.
"""

from __future__ import annotations


class Value:
    __slots__ = ()
    _KEY: tuple = ()   # the compared fields; empty: every slot

    def _key(self) -> tuple:
        return tuple(getattr(self, name) for name in (self._KEY or self.__slots__))

    def __eq__(self, other) -> bool:
        return self._key() == other._key() if type(other) is type(self) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in (self._KEY or self.__slots__))
        return f"{type(self).__name__}({shown})"


class Frozen(Value):
    """Set fields with `object.__setattr__` in `__init__`; afterwards they cannot change."""

    __slots__ = ()

    def __setattr__(self, name, value):
        raise AttributeError(f"cannot assign to field {name!r} ({type(self).__name__} is frozen)")

    __delattr__ = __setattr__

    def __reduce__(self):  # copy and pickle, despite the frozen __setattr__
        return type(self), tuple(getattr(self, name) for name in self.__slots__)
