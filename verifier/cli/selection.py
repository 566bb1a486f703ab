"""`-k EXPRESSION`: choosing cases by name or tag, as pytest's -k does.

A word selects the cases whose name contains it or that carry it as a tag
(exactly); words combine with `and`, `or`, `not` and parentheses:
`-k seed`, `-k "linalg and not det"`, `-k "(softmax or logsumexp) and not float32"`.
Parsed by hand here (never eval).
"""

from __future__ import annotations

import re

from verifier.limits import MAX_SELECTION_CHARS, MAX_SELECTION_DEPTH

_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_KEYWORDS = {"and", "or", "not"}


class SelectionError(ValueError):
    """The -k expression does not parse."""


def _matches_word(case, word: str) -> bool:
    return word in case.name or word in case.tags


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _TOKEN.findall(text)
        self.pos = 0

    def parse(self):
        if not self.tokens:
            raise SelectionError("-k got an empty expression; expected a name or a tag")
        if len(self.text) > MAX_SELECTION_CHARS:
            raise SelectionError(f"-k has {len(self.text)} characters, beyond the limit of "
                                 f"{MAX_SELECTION_CHARS}")
        self._check_depth()
        try:
            test = self._or()
        except RecursionError:  # `not ( not ( ...` interleaved: still too deep for the stack
            raise SelectionError("-k is nested too deeply; simplify it") from None
        if self.pos != len(self.tokens):
            self._fail(f"unexpected {self.tokens[self.pos]!r}")
        return test

    def _check_depth(self) -> None:
        """The parser below recurses once per parenthesis and per `not`: bound both first."""
        depth = nots = 0
        for token in self.tokens:
            depth = depth + 1 if token == "(" else max(depth - 1, 0) if token == ")" else depth
            nots = nots + 1 if token == "not" else 0
            if depth > MAX_SELECTION_DEPTH or nots > MAX_SELECTION_DEPTH:
                raise SelectionError(f"-k is nested more than {MAX_SELECTION_DEPTH} deep (parentheses "
                                     "or 'not's in a row); simplify it")

    def _fail(self, what: str):
        raise SelectionError(f"-k {self.text!r}: {what}; expected words joined by and, or, not "
                             "and parentheses, e.g. -k \"linalg and not det\"")

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self) -> str:
        token = self._peek()
        if token is None:
            self._fail("the expression ends too early")
        self.pos += 1
        return token

    def _or(self):
        tests = [self._and()]
        while self._peek() == "or":
            self.pos += 1
            tests.append(self._and())
        return tests[0] if len(tests) == 1 else (lambda case: any(t(case) for t in tests))

    def _and(self):
        tests = [self._not()]
        while self._peek() == "and":
            self.pos += 1
            tests.append(self._not())
        return tests[0] if len(tests) == 1 else (lambda case: all(t(case) for t in tests))

    def _not(self):
        token = self._take()
        if token == "not":
            inner = self._not()
            return lambda case: not inner(case)
        if token == "(":
            inner = self._or()
            if self._take() != ")":
                self._fail("a parenthesis is not closed")
            return inner
        if token in _KEYWORDS or token == ")":
            self._fail(f"unexpected {token!r}")
        return lambda case: _matches_word(case, token)


def select_cases(cases: list, expression: str | None) -> list:
    """The cases that the -k expression selects (all of them without one)."""
    if expression is None:
        return list(cases)
    test = _Parser(expression).parse()
    return [c for c in cases if test(c)]
