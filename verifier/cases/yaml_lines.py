"""A YAML loader on top of `yaml.SafeLoader` that keeps line numbers and exact numbers.

- Mappings become `LineMap` (a dict with `line`, `key_lines`, `value_lines`),
  sequences `LineList` (a list with `line`, `item_lines`), so a problem is
  reported at the line of the offending field.  `value_lines` is where a
  value's text starts: for a block scalar (`|`, `>`) the line after the
  indicator, so a parse error at line L of a program maps to value_line + L - 1.
- YAML ints and floats become `fractions.Fraction` built from their source
  text: `0.1` is exactly 1/10.  `.inf`/`.nan` stay floats, for the validator
  to refuse with a clear message.  Booleans stay booleans.
- Duplicate keys, which SafeLoader silently resolves to the last one, are
  recorded in `loader.duplicates` as (line, message).
"""

from __future__ import annotations

import re
from fractions import Fraction

import yaml

from verifier import limits

MAX_DECIMAL_EXPONENT = limits.MAX_DECIMAL_EXPONENT


class YamlLimitError(yaml.YAMLError):
    """The text is refused before (or instead of) being built: nesting, a bad character."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


class LineMap(dict):
    line: int = 0

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines: dict = {}
        self.value_lines: dict = {}

    def key_line(self, key) -> int:
        return self.key_lines.get(key, self.line)

    def value_line(self, key) -> int:
        return self.value_lines.get(key, self.key_line(key))


class LineList(list):
    line: int = 0

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.item_lines: list[int] = []

    def item_line(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


def content_line(node: yaml.Node) -> int:
    """1-based line where a node's text starts (block scalars: after the `|`/`>` line)."""
    line = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        line += 1
    return line


_EXPONENT = re.compile(r"[eE]([-+]?\d+)$")


# libyaml's parser (C) where it is built in: the same SafeConstructor and resolver, ~5x faster.
_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CaseLoader(_SafeBase):
    """SafeLoader with line numbers, exact numbers and duplicate-key detection."""

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, str]] = []

    def construct_line_map(self, node: yaml.MappingNode) -> LineMap:
        self.flatten_mapping(node)  # merge keys (<<: *anchor), as SafeLoader does
        out = LineMap()
        out.line = node.start_mark.line + 1
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            key_line = key_node.start_mark.line + 1
            try:
                hash(key)
            except TypeError:
                self.duplicates.append((key_line, "a mapping key must be text, found a "
                                                  f"{type(key).__name__}"))
                continue
            if key in out:
                self.duplicates.append((key_line, f"duplicate key '{key}' (first at line "
                                                  f"{out.key_lines[key]}); YAML would silently keep "
                                                  "only the last one: remove or rename one"))
            out[key] = self.construct_object(value_node, deep=True)
            out.key_lines[key] = key_line
            out.value_lines[key] = content_line(value_node)
        return out

    def construct_line_list(self, node: yaml.SequenceNode) -> LineList:
        out = LineList(self.construct_object(child, deep=True) for child in node.value)
        out.line = node.start_mark.line + 1
        out.item_lines = [content_line(child) for child in node.value]
        return out

    def _too_long(self, node: yaml.ScalarNode) -> bool:
        """Python refuses int() of more than 4300 digits; refuse long numbers at their line."""
        if len(str(node.value)) <= limits.MAX_NUMBER_CHARS:
            return False
        self.duplicates.append((node.start_mark.line + 1, f"a number of {len(str(node.value))} characters, "
                                                          f"beyond the limit of {limits.MAX_NUMBER_CHARS}"))
        return True

    def construct_exact_int(self, node: yaml.ScalarNode) -> Fraction:
        # SafeLoader's own rules (YAML 1.1: 0x1f, 0b101, 017 octal, 1_000, 1:30); ints are exact.
        if self._too_long(node):
            return Fraction(0)
        return Fraction(self.construct_yaml_int(node))

    def construct_exact_float(self, node: yaml.ScalarNode):
        if self._too_long(node):
            return Fraction(0)
        text = str(node.value).replace("_", "")
        lowered = text.lower().lstrip("+-")
        if lowered in (".inf", ".nan"):
            return self.construct_yaml_float(node)  # refused later, with the field
        if ":" in text:  # sexagesimal (1:30.5), exact in base 60
            sign = -1 if text.startswith("-") else 1
            value = Fraction(0)
            for part in text.lstrip("+-").split(":"):
                value = value * 60 + Fraction(part)
            return sign * value
        exponent = _EXPONENT.search(text)
        if exponent and abs(int(exponent.group(1))) > MAX_DECIMAL_EXPONENT:
            self.duplicates.append((node.start_mark.line + 1,
                                    f"the number {text} has an exponent beyond ±{MAX_DECIMAL_EXPONENT}"))
            return Fraction(0)
        return Fraction(text)


CaseLoader.add_constructor("tag:yaml.org,2002:map", CaseLoader.construct_line_map)
CaseLoader.add_constructor("tag:yaml.org,2002:seq", CaseLoader.construct_line_list)
CaseLoader.add_constructor("tag:yaml.org,2002:int", CaseLoader.construct_exact_int)
CaseLoader.add_constructor("tag:yaml.org,2002:float", CaseLoader.construct_exact_float)


def load_yaml(text: str) -> tuple[object, list[tuple[int, str]]]:
    """The document, and (line, message) of each duplicate key or bad number.

    Raises yaml.YAMLError (MarkedYAMLError with a line) on a syntax error.
    """
    _check_flow_depth(text)
    loader = CaseLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, loader.duplicates
        _check_node_depth(node)
        return loader.construct_document(node), loader.duplicates
    except yaml.reader.ReaderError as exc:  # a NUL or another character YAML refuses
        raise YamlLimitError(str(exc).split("\n")[0], text.count("\n", 0, exc.position) + 1) from None
    finally:
        loader.dispose()


def error_line(exc: Exception, text: str) -> int:
    """The line of a YAML error that carries one, else 1."""
    line = getattr(exc, "line", None)
    if isinstance(line, int) and line > 0:
        return line
    position = getattr(exc, "position", None)
    return text.count("\n", 0, position) + 1 if isinstance(position, int) else 1


_FLOW_BRACKETS = re.compile(r"[\[\]{}]")


def _check_flow_depth(text: str) -> None:
    """Deep flow nesting (`[[[[...`) crashes libyaml's composer (a segfault past ~10⁵ levels):
    count it on the raw text first.  Brackets inside quoted text count too; no real case
    file comes near the limit."""
    depth = 0
    for match in _FLOW_BRACKETS.finditer(text):
        if match.group() in "[{":
            depth += 1
            if depth > limits.MAX_YAML_DEPTH:
                raise YamlLimitError(f"lists and mappings are nested more than {limits.MAX_YAML_DEPTH} "
                                     "deep", text.count("\n", 0, match.start()) + 1)
        else:
            depth = max(depth - 1, 0)


def _children(node: yaml.Node) -> list:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _check_node_depth(root: yaml.Node) -> None:
    """The composed document's nesting (block style included), without recursion; aliases
    make it a graph, so each node is measured once, and a node that contains itself
    (`&a [*a]`) is refused."""
    height: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            height[key] = 1 + max((height[id(c)] for c in _children(node)), default=0)
            if height[key] > limits.MAX_YAML_DEPTH:
                raise YamlLimitError(f"lists and mappings are nested more than {limits.MAX_YAML_DEPTH} "
                                     "deep", _deepest_line(node, height))
            continue
        if key in height:
            continue
        if key in on_path:
            raise YamlLimitError("an alias refers to a list or mapping that contains it (a recursive "
                                 "structure)", node.start_mark.line + 1)
        on_path.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in height)


def _deepest_line(node: yaml.Node, height: dict[int, int]) -> int:
    """Follow the deepest branch down to the level where the limit is passed."""
    for _ in range(limits.MAX_YAML_DEPTH):
        children = [c for c in _children(node) if id(c) in height]
        if not children:
            break
        node = max(children, key=lambda c: height[id(c)])
    return node.start_mark.line + 1
