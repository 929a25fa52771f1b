"""The one strict YAML loader for every file a user hands govgate (policies, retention rules, datasheets,
sign-offs, the control catalog).

PyYAML's ``SafeLoader`` underneath, with limits a hostile or broken file cannot get past:

- size: at most 5 MB of text;
- depth: at most 64 nested collections;
- nodes: at most 200,000 after alias expansion, counted on the composed graph before anything is
  constructed (a "billion laughs" file of a few hundred bytes expands to billions of nodes: it is refused
  in milliseconds, where walking the constructed value used to take tens of GB of memory);
- duplicate keys in one mapping are an error (PyYAML keeps the last one silently).

Every problem is one error that names the file (``what``) and, where YAML knows it, the line and column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, SequenceNode

from govgate.errors import GovgateError, InputError

M = TypeVar("M", bound=BaseModel)

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 200_000
_MERGE_TAG = "tag:yaml.org,2002:merge"


class LimitExceeded(ComposerError):
    """A file past one of the limits: refused before it is built, whatever it would have become."""


class StrictLoader(yaml.SafeLoader):
    """``SafeLoader`` that refuses deep nesting, alias bombs and duplicate keys."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise LimitExceeded(None, None, f"nesting deeper than {MAX_DEPTH} levels", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_document(self, node):
        _check_expanded_size(node)
        return super().construct_document(node)

    def construct_yaml_timestamp(self, node):
        # PyYAML raises a bare ValueError for an impossible date (2027-02-30): name its line instead.
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise ConstructorError(
                None, None, f"{node.value!r} is not a valid date or time ({exc})", node.start_mark
            ) from None

    def construct_mapping(self, node, deep=False):
        if isinstance(node, MappingNode):
            _check_duplicate_keys(self, node)
        return super().construct_mapping(node, deep=deep)


StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", StrictLoader.construct_yaml_timestamp)


def _check_expanded_size(root: Node) -> None:
    """Count nodes as if every alias were expanded, memoized per node so the count itself stays cheap."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise ComposerError(None, None, "a recursive alias (a collection that contains itself)", node.start_mark)
        open_nodes.add(key)
        total = 1
        if isinstance(node, SequenceNode):
            children = node.value
        elif isinstance(node, MappingNode):
            children = [child for pair in node.value for child in pair]
        else:
            children = []
        for child in children:
            total += size(child)
            if total > MAX_NODES:
                raise LimitExceeded(
                    None,
                    None,
                    f"more than {MAX_NODES:,} nodes once aliases are expanded (an alias bomb?)",
                    child.start_mark,
                )
        open_nodes.discard(key)
        sizes[key] = total
        return total

    size(root)


def _check_duplicate_keys(loader: StrictLoader, node: MappingNode) -> None:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            continue  # '<<' merges may be overridden by explicit keys, as YAML 1.1 says
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
        except TypeError:
            continue  # an unhashable key: SafeLoader itself reports it
        if duplicate:
            raise ConstructorError(
                "while constructing a mapping", node.start_mark, f"found duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)


def load_yaml(source: str | bytes | Path, *, what: str, error: type[GovgateError] = InputError) -> Any:
    """Parse YAML text (``str``/``bytes``) or the file at a ``Path``; ``what`` names it in every message
    (e.g. ``"policy file policies/default.yaml"``), ``error`` is the exception class raised."""
    if isinstance(source, Path):
        try:
            source = source.expanduser().read_bytes()
        except OSError as exc:
            raise error(f"{what} cannot be read: {exc.strerror or exc}") from None
    if len(source) > MAX_BYTES:
        raise error(f"{what}: refused: larger than {MAX_BYTES // (1024 * 1024)} MB ({len(source):,} bytes)")
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise error(f"{what} is not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    loader = StrictLoader(source)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise error(f"{what}: {describe(exc)}") from None
    finally:
        loader.dispose()


def describe(exc: yaml.YAMLError) -> str:
    """``not valid YAML at line L, column C: problem`` (``refused ...`` past a limit)."""
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    if isinstance(exc, LimitExceeded):
        return f"refused{where}: {exc.problem}"
    return f"not valid YAML{where}: {getattr(exc, 'problem', None) or exc}"


def load_validated_file(
    path: str | Path, model: type[M], *, what: str, expected: str, error: type[GovgateError]
) -> tuple[M, bytes]:
    """(validated model, raw bytes) of a strict YAML file: one error naming the file (``what`` says which
    kind, e.g. "policy file") and, for a validation problem, the key."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error(f"{what} {path} does not exist") from None
    except OSError as exc:
        raise error(f"{what} {path} cannot be read: {exc.strerror or exc}") from None
    data = load_yaml(raw, what=str(path), error=error)
    if not isinstance(data, dict):
        raise error(f"{path}: expected {expected}; got {type(data).__name__}")
    try:
        return model.model_validate(data), raw
    except ValidationError as exc:
        raise error(f"{path}: " + "; ".join(describe_validation(e) for e in exc.errors())) from None


def describe_validation(err: dict) -> str:
    """One pydantic error as "key.path: what is wrong (got value)"."""
    key = ".".join(str(p) for p in err["loc"]) or "(top level)"
    if err["type"] == "extra_forbidden":
        return f"{key}: unknown key"
    if err["type"] == "missing":
        return f"{key}: required key is missing"
    msg = err["msg"].removeprefix("Value error, ")
    return f"{key}: {msg}" + (f" (got {err.get('input')!r})" if err["loc"] else "")
