"""The shipped JSON Schema: valid, accepts every good case file, refuses bad ones, in sync with the loader."""

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from verifier.cases import fields

SCHEMA_PATH = Path(fields.__file__).resolve().parent.parent / "schema" / "case.schema.json"
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def good_files():
    files = sorted((DATA / "good").glob("*.yaml"))
    suite = Path(fields.__file__).resolve().parent.parent / "suite"
    files += sorted(suite.rglob("*.yaml")) if suite.is_dir() else []
    return files


@pytest.mark.parametrize("path", good_files(), ids=lambda p: p.name)
def test_good_files_match_the_schema(validator, path):
    errors = list(validator.iter_errors(yaml.safe_load(path.read_text())))
    assert not errors, [e.message for e in errors]


@pytest.mark.parametrize("name", ["typo_key.yaml", "nonscalar_bad_types"])
def test_bad_documents_fail_the_schema(validator, name):
    if name.endswith(".yaml"):
        document = yaml.safe_load((DATA / "bad" / name).read_text())
    else:
        document = {"cases": [{"name": "x y", "inputs": {"x": {"fill": 1}}, "expr": 3, "order": 3}]}
    assert list(validator.iter_errors(document))


@pytest.mark.parametrize("case", [
    {"name": "a", "inputs": {}},  # neither expr nor program
    {"name": "a", "inputs": {}, "expr": "1", "program": "y = 1", "output": "y"},
    {"name": "a", "inputs": {}, "program": "y = 1"},
    {"name": "a", "inputs": {"x": {"fill": 1, "value": 1, "shape": []}}, "expr": "x"},
    {"name": "a", "inputs": {"x": {"random": {"dist": "cauchy", "seed": 1}, "shape": [2]}}, "expr": "x"},
    {"name": "a", "inputs": {}, "expr": "1", "dtypes": ["float8"]},
    {"name": "a", "inputs": {}, "expr": "1", "expect": {"error": "boom"}},
    {"name": "a", "inputs": {}, "expr": "1", "xfail": {"backends": ["fd"]}},
    {"name": "a", "inputs": {}, "expr": "1", "tolerance": {"float32": {"rtol": 1}}},
])
def test_schema_refuses_what_the_loader_refuses(validator, case):
    assert list(validator.iter_errors({"cases": [case]}))


def test_schema_numbers_accept_exact_text(validator):
    case = {"name": "a", "inputs": {"x": {"value": ["1/3", 0.1, "1e3"]}}, "expr": "sum(x)",
            "expect": {"grad": {"x": "9/2"}}}
    assert not list(validator.iter_errors({"cases": [case]}))


def _properties(schema, ref):
    node = schema["$defs"][ref] if ref else schema
    return set(node["properties"])


def test_schema_keys_equal_the_validator_keys():
    schema = json.loads(SCHEMA_PATH.read_text())
    case = schema["$defs"]["case"]["properties"]
    assert _properties(schema, None) == set(fields.TOP_KEYS)
    assert set(case) == set(fields.CASE_KEYS)
    assert _properties(schema, "input") == set(fields.INPUT_KEYS)
    assert set(schema["$defs"]["seed"]["oneOf"][1]["properties"]) == set(fields.SEED_KEYS)
    assert _properties(schema, "random") == set(fields.RANDOM_KEYS)
    assert set(case["backward"]["properties"]) == set(fields.BACKWARD_KEYS)
    assert set(case["expect"]["properties"]) == set(fields.EXPECT_KEYS)
    assert set(case["xfail"]["properties"]) == set(fields.XFAIL_KEYS)
    assert set(case["skip"]["properties"]) == set(fields.SKIP_KEYS)
    assert set(case["tolerance"]["properties"]) == set(fields.TOLERANCE_TARGETS)
    assert _properties(schema, "tolerance") == set(fields.TOLERANCE_KEYS)
    assert case["backends"]["items"]["enum"] == list(fields.BACKENDS)
    assert case["dtypes"]["items"]["enum"] == list(fields.DTYPES)
    from verifier.backends.base import ERROR_KINDS
    assert case["expect"]["properties"]["error"]["enum"] == list(ERROR_KINDS)
