"""Regenerate the configuration table in README.md from procura.settings.SETTINGS.

Run: .venv/bin/python tools/settings_doc.py  (core/tests/test_docs.py fails when it is stale).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def table() -> str:
    from procura.settings import SETTINGS, env_name

    rows = ["| setting | environment variable | default | meaning |", "|---|---|---|---|"]
    for s in SETTINGS:
        default = f"`{s.default}`" if s.default else "empty"
        rows.append(f"| `{s.key}` | `{env_name(s.key)}` | {default} | {s.help} |")
    return "\n".join(rows) + "\n"


def pattern_table() -> str:
    """Settings that exist once per configured name (``procura.oidc.<name>.issuer`` ...)."""
    from procura.settings import SETTING_PATTERNS, env_name

    rows = ["| setting (per name) | environment variable | default | meaning |", "|---|---|---|---|"]
    for p in SETTING_PATTERNS:
        default = f"`{p.default}`" if p.default else "empty"
        rows.append(f"| `{p.key}` | `{env_name(p.key)}` | {default} | {p.help} |")
    return "\n".join(rows) + "\n"


def render(text: str) -> str:
    text = re.sub(r"\| setting \| environment variable \|.*?\n(?=\n)", table(), text, count=1, flags=re.S)
    return re.sub(r"\| setting \(per name\) \| environment variable \|.*?\n(?=\n)", pattern_table(), text,
                  count=1, flags=re.S)


if __name__ == "__main__":
    README.write_text(render(README.read_text(encoding="utf-8")), encoding="utf-8")
    sys.stdout.write(f"wrote {README}\n")
