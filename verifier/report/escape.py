"""User-supplied text made safe for a terminal and for XML.

Case names, input names, tags, descriptions, xfail reasons, file names and baseline
rows come from pull requests.  Printed raw, an ANSI escape sequence in one of them
can recolour, rewrite or hide the lines around it (`\\x1b[2K\\x1b[1A` erases the line
above: a FAILED row could vanish), a carriage return can overwrite a row, and a
bidi override can reorder what a reviewer reads.  `printable` shows each such
character as a visible escape (`\\x1b`, `\\u202e`); `xml_text` does the same for
the characters XML 1.0 forbids, so the JUnit file always parses.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls, and the invisible format characters
# that reorder or hide text (zero-width, bidi embeddings, overrides and isolates, BOM).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff"
                     "\ud800-\udfff]")
_UNSAFE_ONE_LINE = re.compile(_UNSAFE.pattern[:-1] + "\t\n]")
# What XML 1.0 does not allow at all (tab, newline and carriage return it does).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text, one_line: bool = False) -> str:
    """`text` with every control and invisible format character shown as an escape;
    with `one_line`, tabs and newlines too (a name or a table cell)."""
    text = str(text)
    return (_UNSAFE_ONE_LINE if one_line else _UNSAFE).sub(_escaped, text)


def xml_text(text) -> str:
    """`text` with the characters XML 1.0 cannot hold shown as escapes (ElementTree would
    write them raw, and the file would not parse)."""
    return _NOT_XML.sub(_escaped, str(text))
