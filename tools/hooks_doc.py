"""Regenerate the reference part of docs/hooks.md from core/procura/hookspecs.py.

Run: .venv/bin/python tools/hooks_doc.py  (core/tests/test_docs.py fails when the file is stale).
"""
from __future__ import annotations

import inspect
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "hooks.md"
MARK = "<!-- generated from hookspecs.py: do not edit below; run tools/hooks_doc.py -->"


def reference() -> str:
    from procura import hookspecs

    parts = [MARK, ""]
    for name, fn in sorted(inspect.getmembers(hookspecs, inspect.isfunction)):
        if not name.startswith("procura_"):
            continue
        sig = str(inspect.signature(fn)).replace("'", "").replace('"', "")
        parts.append(f"### `{name}{sig}`\n")
        parts.append(inspect.cleandoc(fn.__doc__ or "").strip() + "\n")
    return "\n".join(parts)


def render(current: str) -> str:
    head = current.split(MARK)[0] if MARK in current else current
    return head.rstrip() + "\n\n" + reference()


if __name__ == "__main__":
    text = render(DOC.read_text(encoding="utf-8"))
    DOC.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {DOC}\n")
