"""One case mapping → a validated `Case`, with every problem collected.

Order: name, inputs, computation (expr XOR program + output), seed, backward
settings, expectations (claims parsed over inputs + program variables + seed),
markers and run settings; then the output-shape probe, which runs only when
everything else is valid.
"""

from __future__ import annotations

from verifier.cases import budget
from verifier.cases import fields as f
from verifier.cases.inputs import name_problem, read_input, read_seed
from verifier.cases.model import Case, Claim, Expect, Input, Marker, Tolerance
from verifier.cases.numbers import DataError, exact_array, literal_text, number_from_text
from verifier.cases.problems import Problem, Problems
from verifier.cases.shape_probe import probe
from verifier.cases.yaml_lines import LineMap
from verifier.contract import ERROR_KINDS
from verifier.lang import ir
from verifier.lang.parser import ParseError, parse_expression, parse_program

MAX_BACKWARD_REPEAT = 100


def validate_case(raw, file: str, line: int) -> tuple[Case | None, list[Problem]]:
    """A case from its YAML mapping; the Case is None whenever there is any problem."""
    name = raw.get("name") if isinstance(raw, LineMap) else None
    problems = Problems(file, name if isinstance(name, str) else "")
    budget.start_case()  # this case's share of the load's element budget starts at zero
    case = _CaseReader(raw, file, line, problems).read()
    return (case if not problems.items else None), problems.items


class _CaseReader:
    def __init__(self, raw, file: str, line: int, problems: Problems) -> None:
        self.raw, self.file, self.line, self.p = raw, file, line, problems

    def read(self) -> Case | None:
        raw = f.mapping(self.raw, "", self.line, self.p, "a case (a mapping with name, inputs, expr, ...)")
        if raw is None:
            return None
        self.raw = raw
        f.check_keys(raw, f.CASE_KEYS, "", self.p)
        name = self._name()
        inputs = self._inputs()
        program, source = self._computation(inputs)
        seed = self._get("seed", lambda v, fld, ln: read_seed(v, fld, ln, self.p))
        expect = self._expect(inputs, program, seed)
        settings = self._settings()
        if name is None or inputs is None or program is None or settings is None or expect is None:
            return None
        if "seed" in raw and seed is None:
            return None
        self._check_output_shape(program, inputs, seed, expect)
        return Case(name=name, file=self.file, line=self.line, program=program, inputs=inputs,
                    source=source, seed=seed, expect=expect, **settings)

    # --- helpers -------------------------------------------------------------------
    def _get(self, key: str, reader, default=None):
        if key not in self.raw:
            return default
        return reader(self.raw[key], key, self.raw.value_line(key))

    def _parse_error(self, exc: ParseError, field: str, text_line: int, text: str) -> None:
        line = text_line + exc.line - 1
        where = f" (line {exc.line} of the text)" if "\n" in text.strip() else ""
        hint = f"; {f.FLOW_SPLIT_HINT}" if f.looks_split(text) else ""
        self.p.add(line, field, f"{exc.message}{where}{hint}")

    # --- fields --------------------------------------------------------------------
    def _name(self) -> str | None:
        if "name" not in self.raw:
            self.p.add(self.line, "", "a case needs a name (letters, digits, _ . -)")
            return None
        name = f.text(self.raw["name"], "name", self.raw.value_line("name"), self.p)
        if name is not None and not f.NAME_PATTERN.match(name):
            self.p.add(self.raw.value_line("name"), "name", f"{name!r} is not a valid case name: use "
                                                            "letters, digits, _ . and -")
            return None
        return name

    def _inputs(self) -> dict[str, Input] | None:
        if "inputs" not in self.raw:
            self.p.add(self.line, "", "a case needs inputs (a mapping name -> spec, such as "
                                      "x: {fill: 1, shape: [2, 2]})")
            return None
        specs = f.mapping(self.raw["inputs"], "inputs", self.raw.value_line("inputs"), self.p)
        if specs is None:
            return None
        out, ok = {}, True
        for name, spec in specs.items():
            line = specs.key_line(name)
            why = name_problem(name)
            if why is not None:
                hint = f"; {f.FLOW_SPLIT_HINT}" if f.key_looks_split(name) else ""
                self.p.add(line, f"inputs.{name}", why + hint)
                ok = False
                continue
            made = read_input(name, spec, f"inputs.{name}", line, self.p)
            ok = ok and made is not None
            if made is not None:
                out[name] = made
        return out if ok else None

    def _computation(self, inputs) -> tuple[ir.Program | None, str]:
        raw, names = self.raw, set(inputs or {})
        has = [k for k in ("expr", "program") if k in raw]
        if len(has) != 1:
            what = "neither" if not has else "both"
            self.p.add(self.line, "", f"a case needs exactly one of 'expr' (an expression) or 'program' "
                                      f"(statements, with 'output'); found {what}")
            return None, ""
        if has == ["expr"] and "output" in raw:
            self.p.add(raw.key_line("output"), "output", "'output' goes with 'program', not with 'expr'")
        if has == ["program"] and "output" not in raw:
            self.p.add(raw.key_line("program"), "program", "a program needs 'output: NAME', the variable "
                                                           "holding the result")
            return None, ""
        key = has[0]
        source = raw[key]
        if not isinstance(source, str):
            self.p.add(raw.value_line(key), key, f"expected text, found {f.describe(source)}")
            return None, ""
        if inputs is None:
            # Some input is invalid: parse over the names given, to report the text's own problems too.
            given = raw.get("inputs")
            names = {k for k in given if isinstance(k, str)} if isinstance(given, LineMap) else set()
        try:
            if key == "expr":
                program = ir.Program(body=(), result=parse_expression(source, names))
            else:
                output = f.text(raw["output"], "output", raw.value_line("output"), self.p)
                if output is None:
                    return None, source
                program = parse_program(source, output, names)
            return (program if inputs is not None else None), source
        except ParseError as exc:
            self._parse_error(exc, key, raw.value_line(key), source)
            return None, source

    def _claim(self, value, field: str, line: int, names: set[str]) -> Claim | None:
        if isinstance(value, str) and number_from_text(value) is None:
            try:
                return Claim(expr=parse_expression(value, names), text=value, line=line)
            except ParseError as exc:
                self._parse_error(exc, field, line, value)
                return None
        try:
            return Claim(literal=exact_array(value, field), text=literal_text(value), line=line)
        except DataError as exc:
            self.p.add(exc.line or line, "", exc.message)
            return None

    def _expect(self, inputs, program, seed) -> Expect | None:
        if "expect" not in self.raw:
            return Expect()
        spec = f.mapping(self.raw["expect"], "expect", self.raw.value_line("expect"), self.p)
        if spec is None:
            return None
        f.check_keys(spec, f.EXPECT_KEYS, "expect", self.p)
        if inputs is None or program is None:
            return None
        names = set(inputs) | set(program.variables) | ({"seed"} if seed is not None else set())
        error = None
        if "error" in spec:
            error = spec["error"]
            if error not in ERROR_KINDS:
                self.p.add(spec.value_line("error"), "expect.error",
                           f"unknown error kind {error!r}; expected one of {', '.join(ERROR_KINDS)}")
                return None
            if "value" in spec or "grad" in spec:
                self.p.add(spec.line, "expect", "an expected error excludes value and grad claims")
                return None
        value = None
        if "value" in spec:
            value = self._claim(spec["value"], "expect.value", spec.value_line("value"), names)
            if value is None:
                return None
        grads = self._grad_claims(spec, inputs, names) if "grad" in spec else {}
        if grads is None:
            return None
        return Expect(value=value, grad=grads, error=error)

    def _grad_claims(self, spec: LineMap, inputs: dict[str, Input], names: set[str]):
        claims = f.mapping(spec["grad"], "expect.grad", spec.value_line("grad"), self.p,
                           "a mapping input -> claim")
        if claims is None:
            return None
        out, ok = {}, True
        for key, value in claims.items():
            field, line = f"expect.grad.{key}", claims.value_line(key)
            if key not in inputs:
                if f.key_looks_split(key) or f.looks_split(value):
                    self.p.add(claims.key_line(key), "expect.grad", f"unexpected key {key!r}: "
                                                                    f"{f.FLOW_SPLIT_HINT}")
                else:
                    known = ", ".join(n for n, i in inputs.items() if i.requires_grad) or "none"
                    self.p.add(claims.key_line(key), field, f"'{key}' is not an input; inputs with "
                                                            f"gradients: {known}")
                ok = False
                continue
            if not inputs[key].requires_grad:
                self.p.add(claims.key_line(key), field, f"input '{key}' has requires_grad: false, so it "
                                                        "has no gradient to claim")
                ok = False
                continue
            claim = self._claim(value, field, line, names)
            ok = ok and claim is not None
            out[key] = claim
        return out if ok else None

    def _marker(self, key: str, known) -> Marker | None | bool:
        """The xfail/skip marker; False where it is invalid."""
        spec = f.mapping(self.raw[key], key, self.raw.value_line(key), self.p, "a mapping with a reason")
        if spec is None:
            return False
        f.check_keys(spec, known, key, self.p)
        reason = spec.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            self.p.add(spec.line, f"{key}.reason", f"{key} needs a reason (text saying why)")
            return False
        got = {}
        for sub, allowed in (("backends", f.BACKENDS), ("dtypes", f.DTYPES)):
            if sub in spec:
                got[sub] = f.choices(spec[sub], allowed, f"{key}.{sub}", spec.value_line(sub), self.p)
                if got[sub] is None:
                    return False
        return Marker(reason=reason, **got)

    def _settings(self) -> dict | None:
        raw, p, out, ok = self.raw, self.p, {}, True
        if "description" in raw:
            out["description"] = f.text(raw["description"], "description", raw.value_line("description"), p)
        if "tags" in raw:
            out["tags"] = f.text_list(raw["tags"], "tags", raw.value_line("tags"), p)
        if "order" in raw:
            out["order"] = f.integer(raw["order"], "order", raw.value_line("order"), p, low=1, high=2)
        for key, allowed in (("dtypes", f.DTYPES), ("backends", f.BACKENDS)):
            if key in raw:
                out[key] = f.choices(raw[key], allowed, key, raw.value_line(key), p)
        if "backward" in raw:
            out.update(self._backward() or {"backward_repeat": None})
        if "tolerance" in raw:
            out["tolerance"] = self._tolerance()
        if "timeout" in raw:
            out["timeout"] = f.timeout(raw["timeout"], "timeout", raw.value_line("timeout"), p)
        for key, known in (("xfail", f.XFAIL_KEYS), ("skip", f.SKIP_KEYS)):
            if key in raw:
                marker = self._marker(key, known)
                ok = ok and marker is not False
                out[key] = marker or None
        if any(v is None for v in out.values()) or not ok:
            return None
        return out

    def _backward(self) -> dict | None:
        spec = f.mapping(self.raw["backward"], "backward", self.raw.value_line("backward"), self.p,
                         "a mapping such as {repeat: 2, retain_graph: true}")
        if spec is None:
            return None
        f.check_keys(spec, f.BACKWARD_KEYS, "backward", self.p)
        out = {}
        if "repeat" in spec:
            out["backward_repeat"] = f.integer(spec["repeat"], "backward.repeat", spec.value_line("repeat"),
                                               self.p, low=1, high=MAX_BACKWARD_REPEAT)
        if "retain_graph" in spec:
            out["retain_graph"] = f.boolean(spec["retain_graph"], "backward.retain_graph",
                                            spec.value_line("retain_graph"), self.p)
        return None if any(v is None for v in out.values()) else out

    def _tolerance(self) -> dict | None:
        spec = f.mapping(self.raw["tolerance"], "tolerance", self.raw.value_line("tolerance"), self.p,
                         "a mapping such as {float32: {rtol: 1e-5, atol: 1e-6}} (keys: "
                         "float64, float32, fd)")
        if spec is None:
            return None
        # `fd`: finite differences' own tolerance, replacing their error estimate's rule
        f.check_keys(spec, f.TOLERANCE_TARGETS, "tolerance", self.p)
        out = {}
        for dtype in f.TOLERANCE_TARGETS:
            if dtype not in spec:
                continue
            field = f"tolerance.{dtype}"
            tol = f.mapping(spec[dtype], field, spec.value_line(dtype), self.p,
                            "a mapping {rtol: R, atol: A}")
            if tol is None:
                return None
            f.check_keys(tol, f.TOLERANCE_KEYS, field, self.p)
            values = {}
            for key in f.TOLERANCE_KEYS:
                if key not in tol:
                    self.p.add(tol.line, field, f"a tolerance needs both rtol and atol; {key} is missing")
                    return None
                values[key] = f.number(tol[key], f"{field}.{key}", tol.value_line(key), self.p,
                                       nonnegative=True, float64=True)
            if any(v is None for v in values.values()):
                return None
            out[dtype] = Tolerance(rtol=float(values["rtol"]), atol=float(values["atol"]))
        return out

    def _check_output_shape(self, program, inputs, seed, expect: Expect) -> None:
        if expect.error is not None:
            return
        found = probe(program, inputs)
        if found.problem is not None:
            key = "expr" if "expr" in self.raw else "program"
            text_line = self.raw.value_line(key)
            if key == "program" and isinstance(self.raw[key], str) and \
                    self.raw.value_line(key) == self.raw.key_line(key):
                text_line += 1  # a block scalar (program: |) starts on the next line
            line = text_line + (found.problem.line or 1) - 1
            where = f" (line {found.problem.line} of the text)" if key == "program" and \
                found.problem.line else ""
            self.p.add(line, key, f"{found.problem.message}{where}")
            return
        shape = found.shape
        if shape is None:
            return  # the forward pass fails here: the runner reports that, with its own kind
        line = self.raw.key_line("expr" if "expr" in self.raw else "output")
        if seed is None and _numel(shape) != 1:
            self.p.add(line, "seed", f"the output has shape {list(shape)}, not a scalar, so backward "
                                     f"needs a seed: add seed: {{fill: 1, shape: {list(shape)}}} (or "
                                     "expect: {error: nonscalar_output} if the error is the point)")
        elif seed is not None and seed.shape != shape:
            self.p.add(self.raw.key_line("seed"), "seed", f"the seed has shape {list(seed.shape)} but the "
                                                          f"output has shape {list(shape)}; they must match")


def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n

