"""The JUnit XML report (`--junit-xml FILE`): what CI systems display as tests.

One testcase per case x backend x dtype: classname = the case file's stem,
name = `case[backend-dtype]`.  fail -> <failure>, error -> <error>,
skip and xfail -> <skipped>.  An invalid case file is one testcase with an
<error>, so CI shows it too.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import PurePath

from verifier.report.escape import xml_text
from verifier.report.files import write_atomically
from verifier.verdict import Verdict


def _errors_text(v: Verdict) -> str:
    lines = [v.message] if v.message else []
    worst = [f"{label} {value:.3g}" for label, value in
             (("abs", v.max_abs_err), ("rel", v.max_rel_err), ("ulp", v.max_ulp_err))
             if value is not None]
    if worst:
        lines.append("worst error: " + "  ".join(worst))
    if v.blame:
        lines.append(f"blame: {v.blame}")
    if v.diverged:
        lines.append("diverged: took another branch or loop count than the oracle")
    return "\n".join(lines)


def _testcase(v: Verdict) -> ET.Element:
    element = ET.Element("testcase", classname=PurePath(v.file).stem or "cases",
                         name=f"{v.case}[{v.backend}-{v.dtype}]", file=v.file,
                         time=f"{(v.seconds or 0.0):.6f}")
    first_line = (v.message.splitlines() or [v.status])[0]
    if v.status == "fail":
        ET.SubElement(element, "failure", message=first_line, type="VerificationFailure").text = \
            _errors_text(v)
    elif v.status == "error":
        ET.SubElement(element, "error", message=first_line, type="VerificationError").text = \
            _errors_text(v)
    elif v.status in ("skip", "xfail"):
        prefix = "expected failure: " if v.status == "xfail" else ""
        ET.SubElement(element, "skipped", message=prefix + first_line)
    elif v.status == "xpass" or v.message:
        ET.SubElement(element, "system-out").text = \
            ("unexpectedly passed (marked xfail)\n" if v.status == "xpass" else "") + v.message
    return element


def _problem_case(problem) -> ET.Element:
    text = str(problem)
    element = ET.Element("testcase", classname="case-files", name=text.split(": ", 1)[0], time="0")
    ET.SubElement(element, "error", message=text, type="InvalidCaseFile").text = text
    return element


def build_junit(verdicts: list[Verdict], problems=(), seconds: float | None = None) -> str:
    cases = [_testcase(v) for v in verdicts] + [_problem_case(p) for p in problems]
    failures = sum(v.status == "fail" for v in verdicts)
    errors = sum(v.status == "error" for v in verdicts) + len(list(problems))
    skipped = sum(v.status in ("skip", "xfail") for v in verdicts)
    total_time = f"{(seconds or 0.0):.3f}"
    counts = {"tests": str(len(cases)), "failures": str(failures), "errors": str(errors),
              "skipped": str(skipped), "time": total_time}
    root = ET.Element("testsuites", name="verifier", **counts)
    suite = ET.SubElement(root, "testsuite", name="verifier", **counts)
    suite.extend(cases)
    _xml_safe(root)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _xml_safe(root: ET.Element) -> None:
    """Every text and attribute made valid XML 1.0: case data may hold control characters."""
    for element in root.iter():
        if element.text:
            element.text = xml_text(element.text)
        for key, value in element.attrib.items():
            element.set(key, xml_text(value))


def write_junit(path, verdicts: list[Verdict], problems=(), seconds: float | None = None) -> None:
    write_atomically(path, build_junit(verdicts, list(problems), seconds))
