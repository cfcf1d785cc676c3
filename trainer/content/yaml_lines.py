"""YAML with line numbers, so problems in content files can point at the right line."""

from __future__ import annotations

from typing import Any

import yaml


class YamlProblem(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def compose_mapping(text: str) -> tuple[dict[str, Any], yaml.MappingNode]:
    """The parsed mapping and its node tree (nodes know their lines)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlProblem(line, f"YAMLの書き方が正しくありません（{error.problem}）") from None
    if node is None or data is None:
        raise YamlProblem(1, "ファイルが空です")
    if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
        raise YamlProblem(1, "「キー: 値」の形で書いてください")
    return data, node


def key_lines(node: yaml.Node) -> dict[str, int]:
    """The 1-based line of each key of a mapping node."""
    if isinstance(node, yaml.MappingNode):
        return {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
    return {}


def children(node: yaml.Node) -> dict[str, yaml.Node]:
    """The value nodes of a mapping node, by key."""
    if isinstance(node, yaml.MappingNode):
        return {str(k.value): v for k, v in node.value}
    return {}


def load_mapping(text: str) -> tuple[dict[str, Any], dict[str, int], dict[str, list[int]]]:
    """The mapping, the 1-based line of each key, and the lines of list items under each key."""
    data, node = compose_mapping(text)
    item_lines = {
        key: [item.start_mark.line + 1 for item in value.value]
        for key, value in children(node).items()
        if isinstance(value, yaml.SequenceNode)
    }
    return data, key_lines(node), item_lines
