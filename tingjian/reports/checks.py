"""System checks of the reports app: the PDF needs a CJK font to show Chinese."""

from __future__ import annotations

from typing import Any

from django.core.checks import Warning as CheckWarning
from django.core.checks import register


@register("reports")
def cjk_font_installed(app_configs: Any = None, **kwargs: Any) -> list[CheckWarning]:
    """A warning, not an error: the app runs without the font; only Chinese in report PDFs
    is drawn as missing glyphs."""
    from .render import CJK_FAMILIES, has_cjk_font

    if has_cjk_font():
        return []
    return [
        CheckWarning(
            "No CJK font found: Chinese text in report PDFs will not render.",
            hint=f"Install the Debian package fonts-noto-cjk (it provides {', '.join(CJK_FAMILIES)}).",
            id="reports.W001",
        )
    ]
