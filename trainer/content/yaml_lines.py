"""YAML with line numbers for top-level keys, so problems can point at the right line."""

from __future__ import annotations

from typing import Any

import yaml


class YamlProblem(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def load_mapping(text: str) -> tuple[dict[str, Any], dict[str, int], dict[str, list[int]]]:
    """The mapping, the 1-based line of each key, and the lines of list items under each key."""
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
    key_lines: dict[str, int] = {}
    item_lines: dict[str, list[int]] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        key_lines[key] = key_node.start_mark.line + 1
        if isinstance(value_node, yaml.SequenceNode):
            item_lines[key] = [item.start_mark.line + 1 for item in value_node.value]
    return data, key_lines, item_lines
