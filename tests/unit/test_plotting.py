"""Chinese labels in figures render with real glyphs (CI installs fonts-noto-cjk)."""

from __future__ import annotations

import warnings


def test_cjk_font_is_found_and_has_the_glyphs():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from wine_serving.plotting import use_cjk_font

    name = use_cjk_font()
    assert name is not None, "no CJK font: install Debian's fonts-noto-cjk"
    fig, ax = plt.subplots()
    ax.set_title("紅酒品質分布")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
    plt.close(fig)
    assert not [w for w in caught if "Glyph" in str(w.message)]
