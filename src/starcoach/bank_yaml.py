"""Reading the bank's YAML: values that remember their file and field, so every problem names both.

`read_yaml` is safe_load that refuses a key given twice; a `Node` reads one field (text, an id, a
number in range, a list, a choice) and fails with "FILE: FIELD: problem", the messages a coach
editing a question file sees.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from starcoach.errors import StarcoachError

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class Node:
    """A YAML value with the file and field path it came from, for error messages."""

    def __init__(self, value: Any, file: Path, where: str) -> None:
        self.value, self.file, self.where = value, file, where

    def fail(self, problem: str) -> StarcoachError:
        where = f"{self.where}: " if self.where else ""
        return StarcoachError(f"{self.file}: {where}{problem}")

    def _child_path(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.where}[{key}]"
        return f"{self.where}.{key}" if self.where else key

    def mapping(self) -> dict[str, Any]:
        if not isinstance(self.value, dict):
            raise self.fail(f"expected a mapping of fields, got {type(self.value).__name__}")
        return self.value

    def get(self, key: str, default: Any = ..., *, required: bool = True) -> Node:
        data = self.mapping()
        if key not in data or data[key] is None:
            if default is not ...:
                return Node(default, self.file, self._child_path(key))
            if required:
                raise Node(None, self.file, self._child_path(key)).fail("missing (required)")
        return Node(data.get(key), self.file, self._child_path(key))

    def only(self, allowed: tuple[str, ...]) -> None:
        unknown = sorted(set(self.mapping()) - set(allowed))
        if unknown:
            raise self.fail(f"unknown field {unknown[0]!r}; allowed: {', '.join(allowed)}")

    def text(self) -> str:
        if not isinstance(self.value, str) or not self.value.strip():
            raise self.fail("expected non-empty text")
        return " ".join(self.value.split())

    def ident(self) -> str:
        s = self.text()
        if not ID_RE.match(s):
            raise self.fail(f"{s!r} is not an id (lower-case letters, digits and dashes)")
        return s

    def number(self, low: float | None = None, high: float | None = None) -> float:
        v = self.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.fail(f"expected a number, got {v!r}")
        if v != v or v in (float("inf"), float("-inf")):  # YAML's .nan and .inf
            raise self.fail(f"expected a finite number, got {v!r}")
        if (low is not None and v < low) or (high is not None and v > high):
            raise self.fail(f"{v} is out of range [{low}, {high}]")
        return float(v)

    def flag(self) -> bool:
        if not isinstance(self.value, bool):
            raise self.fail(f"expected true or false, got {self.value!r}")
        return self.value

    def items(self) -> list[Node]:
        if not isinstance(self.value, list):
            raise self.fail(f"expected a list, got {type(self.value).__name__}")
        return [Node(v, self.file, self._child_path(i)) for i, v in enumerate(self.value)]

    def choice(self, options: tuple[str, ...] | list[str]) -> str:
        s = self.text().lower()
        if s not in options:
            raise self.fail(f"{s!r} is not one of: {', '.join(options)}")
        return s

    def range_(self, low_key: str, high_key: str, low: float = 0, high: float | None = None) -> tuple[float, float]:
        self.only((low_key, high_key))
        a = self.get(low_key).number(low, high)
        b = self.get(high_key).number(low, high)
        if a > b:
            raise self.fail(f"{low_key} ({a:g}) is greater than {high_key} ({b:g})")
        return a, b


def read_yaml(path: Path) -> Node:
    import yaml  # only the loader needs it

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise StarcoachError(f"{path}: cannot read: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise StarcoachError(f"{path}: not UTF-8 text") from None
    # libyaml's parser when present (ten times faster on the bank, the same data)
    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        """safe_load that refuses a key given twice in one mapping (YAML keeps the last silently)."""

        def construct_mapping(self, node, deep=False):  # type: ignore[no-untyped-def]
            if isinstance(node, yaml.MappingNode):
                seen: dict[Any, int] = {}
                for key_node, _ in node.value:
                    if key_node.tag == "tag:yaml.org,2002:merge":
                        continue
                    key = self.construct_object(key_node, deep=True)
                    line = key_node.start_mark.line + 1
                    try:
                        if key in seen:
                            raise StarcoachError(f"{path}: line {line}: the key {key!r} is given twice in one "
                                                 f"mapping (first on line {seen[key]})")
                        seen[key] = line
                    except TypeError:  # an unhashable key: the constructor reports it
                        continue
            return super().construct_mapping(node, deep=deep)

    try:
        data = yaml.load(text, Loader=Loader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        if "nesting depth" in problem:  # libyaml's own limit, before Python's recursion limit
            raise StarcoachError(f"{path}: nested too deeply to be a question file") from None
        raise StarcoachError(f"{path}: {where}not valid YAML: {problem}") from None
    except RecursionError:
        raise StarcoachError(f"{path}: nested too deeply to be a question file") from None
    return Node(data, path, "")
