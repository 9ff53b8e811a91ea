"""Each setting's help text comes from the docstring under its field."""

from __future__ import annotations

from pydantic import BaseModel

from ssop.core.config.field_docs import field_docs
from ssop.core.config.schema import AppSection, Settings


def test_a_field_gets_the_docstring_written_under_it() -> None:
    docs = field_docs(AppSection)
    assert docs["name"] == "Name shown in logs and the dashboard."
    assert docs["crawler_delay"] == "Seconds between two crawls of the fleet."


def test_every_setting_is_documented() -> None:
    missing = []
    for section_name, info in Settings.model_fields.items():
        section = info.annotation
        assert isinstance(section, type) and issubclass(section, BaseModel)
        docs = field_docs(section)
        missing += [
            f"{section_name}.{f}" for f in section.model_fields if not docs.get(f)
        ]
    assert missing == []


def test_a_class_without_docstrings_has_no_docs() -> None:
    class Bare(BaseModel):
        x: int = 1

    assert field_docs(Bare) == {}
