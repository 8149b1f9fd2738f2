"""The template tree itself: Jinja decides which files exist and fills in names, but never
switches code inside a Python function."""

import ast
import itertools
import re
import sys
from pathlib import Path

import jinja2
import pytest

TEMPLATE_TREE = Path(__file__).resolve().parents[1] / "template"
STATEMENT_TAG = re.compile(r"\{%.*?%\}", re.DOTALL)
# Put after every statement tag before rendering: where one lands, a tag stood.
MARK = "\x00"

PYTHON_TEMPLATES = sorted(TEMPLATE_TREE.rglob("*.py.jinja"))
PLAIN_PYTHON = sorted(TEMPLATE_TREE.rglob("*.py"))
VARIANTS = [
    {
        "database": database,
        "python_version": python,
        "with_example_api": example,
        "with_http_client": http_client,
        "with_opentelemetry": opentelemetry,
        "package_name": "my_service",
        "project_name": "My Service",
        "description": "An async FastAPI service",
    }
    for database, python, example, http_client, opentelemetry in itertools.product(
        ["sqlite", "postgresql"],
        ["3.11", "3.12", "3.13"],
        [True, False],
        [False, True],
        [False, True],
    )
    # ast parses the syntax of the Python it runs on, not of newer ones.
    if tuple(int(part) for part in python.split(".")) <= sys.version_info[:2]
]


def marked_render(text: str, answers: dict[str, object]) -> str:
    """The file as this variant renders it, with MARK where a statement tag stood."""
    marked = STATEMENT_TAG.sub(lambda match: match.group() + MARK, text)
    environment = jinja2.Environment(keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    # `{%- endif %}` at the start of a line strips the newline before it, so its mark ends
    # the line above: move such a mark to the start of the line the tag stood on.
    return environment.from_string(marked).render(answers).replace(MARK + "\n", "\n" + MARK)


def tags_in_functions(rendered: str) -> list[str]:
    """`name (line n)` for every mark in a function's body, from its first line to its last."""
    marked_lines = {number for number, line in enumerate(rendered.splitlines(), 1) if MARK in line}
    tree = ast.parse(rendered.replace(MARK, ""))
    return [
        f"{node.name} (line {line})"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for line in sorted(marked_lines)
        if node.body[0].lineno <= line <= (node.end_lineno or node.lineno)
    ]


def test_the_tree_has_python_files() -> None:
    assert len(PYTHON_TEMPLATES) > 10
    assert len(PLAIN_PYTHON) > 10


@pytest.mark.parametrize(
    "path", PLAIN_PYTHON, ids=[str(path.relative_to(TEMPLATE_TREE)) for path in PLAIN_PYTHON]
)
def test_plain_python_files_hold_no_jinja(path: Path) -> None:
    text = path.read_text()

    assert "{%" not in text
    assert "{{" not in text
    ast.parse(text, filename=str(path))


@pytest.mark.parametrize(
    "path",
    PYTHON_TEMPLATES,
    ids=[str(path.relative_to(TEMPLATE_TREE)) for path in PYTHON_TEMPLATES],
)
def test_no_jinja_statement_inside_a_function(path: Path) -> None:
    text = path.read_text()

    found = {
        f"{answers['database']}-py{answers['python_version']}": inside
        for answers in VARIANTS
        if (inside := tags_in_functions(marked_render(text, answers)))
    }

    assert found == {}


def test_the_check_finds_a_tag_inside_a_function() -> None:
    text = (
        "def f() -> int:\n"
        '{%- if database == "sqlite" %}\n'
        "    return 1\n"
        "{%- endif %}\n"
        "    return 2\n"
    )

    assert tags_in_functions(marked_render(text, VARIANTS[0])) == ["f (line 2)", "f (line 3)"]
    assert tags_in_functions(marked_render(text, VARIANTS[-1])) == ["f (line 2)"]
