"""TrueType fonts with Cyrillic for PDFs (reportlab's built-in fonts have none).

The fonts come from the PyPI package ``pymupdf-fonts`` (a dependency in setup.py): Noto Sans
regular, bold, italic and bold italic, SIL Open Font License, no further dependencies, shipped as
compressed data inside Python modules. If it is missing, Debian's ``fonts-dejavu-core`` files are
used when present. Fonts are registered with reportlab once per process.
"""
from __future__ import annotations

import importlib
import io
import logging
import threading
from pathlib import Path

log = logging.getLogger(__name__)

FAMILY = "ProcuraSans"
STYLES = {  # reportlab name -> (pymupdf_fonts module, DejaVu file)
    FAMILY: ("NotoSans_Regular", "DejaVuSans.ttf"),
    FAMILY + "-Bold": ("NotoSans_Bold", "DejaVuSans-Bold.ttf"),
    FAMILY + "-Italic": ("NotoSans_Italic", "DejaVuSans-Oblique.ttf"),
    FAMILY + "-BoldItalic": ("NotoSans_BoldItalic", "DejaVuSans-BoldOblique.ttf"),
}
DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")

_lock = threading.Lock()
_state: dict = {"fonts": None}


class FontsMissing(RuntimeError):
    """No TrueType font with Cyrillic is available for PDFs."""


def _font_source(module_name: str, dejavu_file: str):
    try:
        module = importlib.import_module(f"pymupdf_fonts.{module_name}")
        data = bytes(module.fontbuffer)
        del module
        return io.BytesIO(data), "pymupdf-fonts (Noto Sans)"
    except ImportError:
        path = DEJAVU_DIR / dejavu_file
        if path.exists():
            return str(path), f"{DEJAVU_DIR} (DejaVu Sans)"
    raise FontsMissing(
        "No TrueType font with Cyrillic for PDF printing: install the Python package pymupdf-fonts "
        "(a dependency of procura) or Debian's fonts-dejavu-core")


def register_fonts() -> dict:
    """Register the PDF fonts with reportlab (once); returns ``{"regular", "bold", "italic", "source"}``."""
    with _lock:
        if _state["fonts"] is not None:
            return _state["fonts"]
        from reportlab.lib.fonts import addMapping
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        source = ""
        for name, (module_name, dejavu_file) in STYLES.items():
            data, source = _font_source(module_name, dejavu_file)
            pdfmetrics.registerFont(TTFont(name, data))
        addMapping(FAMILY, 0, 0, FAMILY)
        addMapping(FAMILY, 1, 0, FAMILY + "-Bold")
        addMapping(FAMILY, 0, 1, FAMILY + "-Italic")
        addMapping(FAMILY, 1, 1, FAMILY + "-BoldItalic")
        _state["fonts"] = {"regular": FAMILY, "bold": FAMILY + "-Bold", "italic": FAMILY + "-Italic",
                           "source": source}
        log.info("PDF fonts from %s", source)
        return _state["fonts"]
