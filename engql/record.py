"""The base of engql's attrs classes: one ``__repr__`` for all of them.

attrs compiles a ``__repr__`` for each class as the class is created. For the classes that
``engql compile`` loads, that was about 5 ms of a 100 ms start, so they are declared with
``repr=False`` and inherit this one, which prints what attrs' own would.
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs


class Record:
    __slots__ = ()
    __attrs_attrs__: ClassVar[tuple[attrs.Attribute[Any], ...]]

    def __repr__(self) -> str:
        shown = []
        for a in self.__attrs_attrs__:
            if a.repr:
                show = repr if a.repr is True else a.repr  # a field may bring its own
                shown.append(f"{a.name}={show(getattr(self, a.name))}")
        return f"{type(self).__qualname__}({', '.join(shown)})"
