"""The help text of each setting: the docstring written under its field.

Read from the schema's source when ``config show`` asks, not when the
schema is imported: pydantic's ``use_attribute_docstrings`` parses the
source of every section at import time, a cost every command paid.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from functools import cache


@cache
def field_docs(model: type) -> dict[str, str]:
    """Each field of ``model`` with the docstring under it (undocumented: absent)."""
    (cls,) = ast.parse(textwrap.dedent(inspect.getsource(model))).body
    assert isinstance(cls, ast.ClassDef)
    docs: dict[str, str] = {}
    for field, after in zip(cls.body, cls.body[1:], strict=False):
        if (
            isinstance(field, ast.AnnAssign)
            and isinstance(field.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[field.target.id] = inspect.cleandoc(after.value.value)
    return docs
