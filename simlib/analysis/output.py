"""Figures written to files the same way everywhere: atomically, fixed resolution, no date or version inside."""

from __future__ import annotations

from pathlib import Path

# PNG and SVG writers of matplotlib stamp their version (and SVG a date) unless told not to
NO_METADATA = {"png": {"Software": None}, "svg": {"Creator": None, "Date": None}, "pdf": {"Creator": None,
                                                                                             "Producer": None,
                                                                                             "CreationDate": None}}


def save_figure(fig, path, dpi: int = 120) -> Path:
    """Write ``fig`` to ``path`` (format from the extension) and close it; the same figure gives the same bytes."""
    import matplotlib.pyplot as plt

    from simlib.fileio import atomic_path

    path = Path(path)
    fmt = path.suffix.lstrip(".").lower() or "png"
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=fmt, metadata=NO_METADATA.get(fmt))
    plt.close(fig)
    return path
