"""Reading params.yaml: safe YAML with duplicate keys refused, and errors that name the
file and every offending key (the schema itself is tasks/params.py)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError


class ParamsError(ValueError):
    """params.yaml is missing, malformed or does not match the schema."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """yaml.safe_load, but a key given twice in one mapping is an error naming it (by
    default the last one silently wins)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def load_yaml(text: str) -> object:
    """Safe YAML (no tags that build objects) with duplicate keys refused."""
    return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass


def read_sections(path: Path) -> dict:
    """The file's top-level mapping; ParamsError when it is missing, not YAML or not a
    mapping."""
    try:
        raw = load_yaml(path.read_text())
    except FileNotFoundError as err:
        raise ParamsError(f"{path}: not found (run from the repository root)") from err
    except yaml.YAMLError as err:
        raise ParamsError(f"{path}: not valid YAML: {err}") from err
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: expected a mapping of sections, got {type(raw).__name__}")
    return raw


def schema_error(path: Path, err: ValidationError) -> ParamsError:
    """One error listing every offending key as `section.key: problem`."""
    problems = []
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
        problems.append(f"  {key}: {msg}")
    return ParamsError(f"{path}: invalid params\n" + "\n".join(problems))
