"""Matplotlib with a font that has Chinese glyphs.

Matplotlib's default DejaVu Sans has no CJK glyphs: Chinese labels come out as boxes
and every figure emits "Glyph missing" warnings into the notebook's outputs.
"""

from __future__ import annotations

from wine_serving.errors import need

CJK_FONTS = ("Noto Sans CJK TC", "Noto Sans CJK JP", "Noto Sans CJK SC", "Noto Sans TC",
             "Noto Serif CJK TC", "Microsoft JhengHei", "PingFang TC", "Heiti TC")


def _installed() -> set[str]:
    font_manager = need("matplotlib.font_manager")
    return {font.name for font in font_manager.fontManager.ttflist}


def use_cjk_font() -> str | None:
    """Make the first installed CJK font the default; returns its name, or None.

    Matplotlib caches the system's font list; a font installed after the cache was
    built (as CI does with Debian's ``fonts-noto-cjk``) is found only after a rebuild,
    so the cache is rebuilt once when nothing matches.
    """
    font_manager = need("matplotlib.font_manager")
    rcParams = need("matplotlib").rcParams
    available = _installed()
    if not available.intersection(CJK_FONTS):
        font_manager.fontManager = font_manager._load_fontmanager(try_read_cache=False)
        available = _installed()
    for name in CJK_FONTS:
        if name in available:
            rcParams["font.family"] = "sans-serif"
            rcParams["font.sans-serif"] = [name, *rcParams["font.sans-serif"]]
            rcParams["axes.unicode_minus"] = False
            return name
    return None
