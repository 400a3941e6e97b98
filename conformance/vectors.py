"""Vector files: where they live, how they are written (byte-stable) and read (validated).

Layout: ``conformance/vectors/<suite>/<kind>/<group>/<name>.json`` holds the
vector whose ``id`` is ``<kind>/<group>/<name>``, and
``conformance/vectors/<suite>/index.json`` lists every id with its kind and
clauses.  One file per vector keeps reviews and ``git diff`` readable and lets
a client team run one vector by hand.

Why the writer is fussy about bytes: a test regenerates the vectors and
compares them with the committed files byte for byte, so the text must be a
function of the vectors only (key order as built, ``indent=1``, ASCII,
trailing newline).
"""

from __future__ import annotations

import fnmatch
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from altledger.conformance.suites import SCHEMA_DIR, Suite
from altledger.reference.errors import InputFileError
from altledger.reference.jsontext import read_json_file

INDEX = "index.json"


WIDTH = 140


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _pretty(value: Any, indent: int) -> str:
    """A value that fits on a line stays on it; larger objects and arrays open one member per line."""
    flat = _compact(value)
    if indent + len(flat) <= WIDTH or not isinstance(value, (dict, list)) or not value:
        return flat
    pad = " " * (indent + 1)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(k, ensure_ascii=False)}: {_pretty(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [f"{pad}{_pretty(v, indent + 1)}" for v in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def vector_text(vector: dict[str, Any]) -> str:
    """The file text of a vector: UTF-8 JSON, small values on one line, key order as built."""
    return _pretty(vector, 0) + "\n"


def vector_path(root: Path, vector_id: str) -> Path:
    return root.joinpath(*vector_id.split("/")).with_suffix(".json")


def index_of(suite: Suite, vectors: list[dict[str, Any]]) -> dict[str, Any]:
    kinds: dict[str, int] = {}
    for v in vectors:
        kinds[v["kind"]] = kinds.get(v["kind"], 0) + 1
    return {
        "suite": suite.name,
        "generated_by": "altledger conformance generate",
        "counts": dict(sorted(kinds.items())),
        "vectors": [{"id": v["id"], "kind": v["kind"], "clauses": v["clauses"]} for v in vectors],
    }


def write_vectors(suite: Suite, vectors: list[dict[str, Any]], root: Path) -> list[Path]:
    """Write every vector and the index under ``root/<suite>``; remove vector files no longer generated."""
    base = root / suite.name
    ids = [v["id"] for v in vectors]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate vector ids: {', '.join(duplicates)}")
    written = []
    for vector in vectors:
        path = vector_path(base, vector["id"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(vector_text(vector), encoding="utf-8")
        written.append(path)
    index = base / INDEX
    index.write_text(vector_text(index_of(suite, vectors)), encoding="utf-8")
    keep = set(written) | {index}
    for stale in base.rglob("*.json"):
        if stale not in keep:
            stale.unlink()
    for folder in sorted((p for p in base.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
    return written + [index]


@lru_cache(maxsize=None)
def _registry() -> Registry:
    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.schema.json")):
        schema = json.loads(path.read_text())
        if "$id" in schema:
            resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


@lru_cache(maxsize=None)
def validator(schema_file: str) -> Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / schema_file).read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=_registry())


def schema_errors(suite: Suite, vector: Any) -> list[str]:
    """Schema violations of one vector, as ``pointer: message`` lines (empty when valid)."""
    if not isinstance(vector, dict) or not isinstance(vector.get("kind"), str) or vector["kind"] not in suite.kinds:
        return [f"/kind: expected one of {', '.join(suite.kinds)}"]
    errors = validator(suite.kinds[vector["kind"]]).iter_errors(vector)
    return [f"/{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
            for e in sorted(errors, key=lambda e: list(map(str, e.absolute_path)))]


def _vector_files(suite: Suite, directory: Path | None) -> Iterable[tuple[Path, dict[str, Any]]]:
    """``(path, vector)`` for every vector file under ``directory`` (default: the committed ones), each
    a JSON object with a string ``id`` (what selecting and ordering need); anything else is an
    :class:`InputFileError` naming the file."""
    base = directory if directory is not None else suite.vectors_dir()
    if not base.is_dir():
        raise InputFileError(str(base), "", "no such vector directory")
    for path in sorted(base.rglob("*.json")):
        if path.name == INDEX and path.parent == base:
            continue
        data = read_json_file(path)
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise InputFileError(str(path), "/id", f"not a valid {suite.name} vector: a vector is a JSON object "
                                                   "with a string id")
        yield path, data


def _check_schema(suite: Suite, path: Path, vector: dict[str, Any]) -> None:
    problems = schema_errors(suite, vector)
    if problems:
        raise InputFileError(str(path), problems[0].split(":")[0], f"not a valid {suite.name} vector: {problems[0]}")


def load_vectors(suite: Suite, directory: Path | None = None, pattern: str | None = None,
                 validate: bool = True) -> list[dict[str, Any]]:
    """Every vector of ``suite`` under ``directory`` (default: the committed ones), in id order.

    ``pattern`` is a glob on ids (``step/participant/*``, ``*crash*``).
    A file that is not JSON, or not a valid vector, is an :class:`InputFileError`.
    """
    vectors = []
    for path, data in _vector_files(suite, directory):
        if pattern is not None and not fnmatch.fnmatchcase(data["id"], pattern):
            continue
        if validate:
            _check_schema(suite, path, data)
        vectors.append(data)
    vectors.sort(key=lambda v: v["id"])
    return vectors


def select(vectors: Iterable[dict[str, Any]], patterns: Iterable[str]) -> list[dict[str, Any]]:
    patterns = list(patterns)
    return [v for v in vectors if not patterns or any(fnmatch.fnmatchcase(v["id"], p) for p in patterns)]


def load_selected(suite: Suite, directory: Path | None, patterns: Iterable[str]) -> list[dict[str, Any]]:
    """The vectors whose id matches one of ``patterns`` (all when none), each validated against its schema.
    Only the selected files are validated: schema validation costs more than running the vectors.
    An invalid one is named by its file, whatever its id says."""
    patterns = list(patterns)
    chosen = []
    for path, vector in _vector_files(suite, directory):
        if not patterns or any(fnmatch.fnmatchcase(vector["id"], p) for p in patterns):
            _check_schema(suite, path, vector)
            chosen.append(vector)
    return sorted(chosen, key=lambda v: v["id"])
