"""Sphinx configuration for the altledger auditors' site.

The normative pages in ``spec/`` are shown exactly as written: at build time
each ``spec/*.md`` gets a one-line wrapper page under ``docs/spec/`` that
includes it (MyST ``{include}``), so the text is never copied by hand and the
site cannot drift from the spec.
"""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent

project = "altledger"
author = "altledger maintainers"
copyright = "2026, altledger maintainers"

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.viewcode"]
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath"]
myst_heading_anchors = 4
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build"]
html_theme = "furo"
html_title = "altledger"
autodoc_member_order = "bysource"
suppress_warnings = ["myst.header"]


def _write_spec_wrappers() -> None:
    out = DOCS / "spec"
    out.mkdir(exist_ok=True)
    wanted = set()
    for page in sorted((REPO / "spec").glob("*.md")):
        wrapper = out / page.name
        wanted.add(wrapper.name)
        text = f"```{{include}} ../../spec/{page.name}\n:relative-docs: ../\n```\n"
        if not wrapper.exists() or wrapper.read_text() != text:
            wrapper.write_text(text)
    for stale in out.glob("*.md"):
        if stale.name not in wanted:
            stale.unlink()


_write_spec_wrappers()
