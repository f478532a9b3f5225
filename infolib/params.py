"""A chapter's parameters, for ``make params CHAPTER=name``: name, type, default, help, and the
value each profile gives a parameter whose default is ``None`` ("take the profile's value").

Read from the chapter's source (``notebooks/<name>.py``, py:percent) without running it: the
assignments of the cell tagged ``parameters``, with the comment after each as its help, and the
chapter's ``PROFILES`` dict, evaluated only if it is made of literals and ``dict(...)`` calls.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import tokenize
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

_CELL = re.compile(r"^# %%(.*)$")


@dataclass(frozen=True)
class Parameter:
    name: str
    default: Any
    help: str
    profiles: dict[str, Any]  # profile -> its value, for a parameter that defaults to None

    @property
    def type(self) -> str:
        values = [self.default] if self.default is not None else list(self.profiles.values())
        names = sorted({type(value).__name__ for value in values if value is not None})
        return " or ".join(names) or "unknown"


def chapter_parameters(source: str | Path) -> list[Parameter]:
    """The parameters of the chapter ``source`` (a py:percent file), in the order of its cell."""
    text = Path(source).read_text(encoding="utf-8")
    cells = _cells(text)
    parameter_cells = [body for header, body in cells
                       if re.search(r"tags=\[[^]]*parameters", header)]
    if len(parameter_cells) != 1:
        raise ValueError(f"{source}: expected one cell tagged 'parameters', found "
                         f"{len(parameter_cells)}")
    profiles = _profiles(ast.parse(text), source)
    parameters = []
    body = ast.parse(parameter_cells[0]).body
    # the comment on each line, from the tokenizer: a "#" inside a string is not a comment
    comments = {token.start[0]: token.string[1:].strip()
                for token in tokenize.generate_tokens(StringIO(parameter_cells[0]).readline)
                if token.type == tokenize.COMMENT}
    for node in body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)):
            continue
        name = node.targets[0].id
        comment = comments.get(node.end_lineno, "")
        default = ast.literal_eval(node.value)
        by_profile = ({profile: knobs.get(name) for profile, knobs in profiles.items()
                       if name in knobs} if default is None else {})
        parameters.append(Parameter(name, default, comment, by_profile))
    return parameters


def _cells(text: str) -> list[tuple[str, str]]:
    cells, header, body = [], None, []
    for line in text.splitlines():
        match = _CELL.match(line)
        if match:
            if header is not None:
                cells.append((header, "\n".join(body)))
            header, body = match.group(1), []
        elif header is not None:
            body.append(line)
    if header is not None:
        cells.append((header, "\n".join(body)))
    return cells


_LITERAL_NODES = (ast.Dict, ast.List, ast.Tuple, ast.Set, ast.Constant, ast.UnaryOp, ast.USub,
                  ast.UAdd, ast.Load, ast.keyword, ast.Call, ast.Name, ast.BinOp, ast.Mult,
                  ast.Add, ast.Sub, ast.Div, ast.Pow)


def _profiles(module: ast.Module, source) -> dict[str, dict]:
    """The chapter's ``PROFILES`` dict, or {} when it has none or it is not plain data."""
    for node in module.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id == "PROFILES"):
            plain = all(isinstance(part, _LITERAL_NODES) for part in ast.walk(node.value))
            names = {part.id for part in ast.walk(node.value) if isinstance(part, ast.Name)}
            calls = [part for part in ast.walk(node.value) if isinstance(part, ast.Call)]
            if not plain or names - {"dict", "list", "range"} or any(
                    not isinstance(call.func, ast.Name) for call in calls):
                return {}
            code = compile(ast.Expression(node.value), str(source), "eval")
            return eval(code, {"__builtins__": {}, "dict": dict, "list": list, "range": range})
    return {}


def describe(parameters: list[Parameter]) -> str:
    """Text for the terminal: one block per parameter."""
    blocks = []
    for p in parameters:
        taken = " (None: the profile's value)" if p.default is None and p.profiles else ""
        lines = [f"{p.name}: {p.type} = {p.default!r}{taken}"]
        if p.help:
            lines.append(f"    {p.help}")
        for profile, value in p.profiles.items():
            lines.append(f"    at {profile}: {value!r}")
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infolib.params",
                                     description="List a chapter's papermill parameters.")
    parser.add_argument("source", help="the chapter, notebooks/<name>.py")
    args = parser.parse_args(argv)
    try:
        print(describe(chapter_parameters(args.source)))
    except (OSError, ValueError, SyntaxError) as error:
        parser.error(str(error))
    return 0


if __name__ == "__main__":
    sys.exit(main())
