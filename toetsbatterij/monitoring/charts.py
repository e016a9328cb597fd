"""The monitoring charts, drawn on the server with matplotlib (no charting library in the
browser, no CDN): inline SVG for the pages, PNG for the monthly PDF. Suppressed counts are left
out of a chart (and say so in its caption), never drawn as zero."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping

from toetsbatterij.monitoring.service import LEVEL_ORDER, Count, Figures

PALETTE = ("#c8d6e5", "#8fb3d9", "#0b5cad", "#08427d", "#1d2733", "#5b6672", "#a11")


def _figure(width: float, height: float):  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    return fig, fig.add_subplot()


def _render(fig, kind: str) -> bytes:  # type: ignore[no-untyped-def]
    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "toetsbatterij"}):
        fig.tight_layout()
        fig.savefig(buf, format=kind, metadata={"Date": None} if kind == "svg" else None)
    return buf.getvalue()


def _svg(data: bytes) -> str:
    text = data.decode("utf-8")
    return text[text.index("<svg"):]


def attempts_per_month(figures: Figures, label: Callable[[str], str], kind: str = "svg") \
        -> bytes | str | None:
    shown = {m: c.value for m, c in figures.by_month.items() if c.value is not None}
    if not shown:
        return None
    fig, ax = _figure(6.4, 2.6)
    ax.bar(list(shown), list(shown.values()), color=PALETTE[2])
    ax.set_ylabel(label("Afnames"))
    ax.spines[["top", "right"]].set_visible(False)
    data = _render(fig, kind)
    return _svg(data) if kind == "svg" else data


def levels_per_skill(levels: Mapping[str, Mapping[str, Count]], skill_label: Callable[[str], str],
                     level_label: Callable[[str], str], kind: str = "svg") -> bytes | str | None:
    skills = [s for s, counts in levels.items()
              if any(c.value for c in counts.values())]
    if not skills:
        return None
    fig, ax = _figure(6.4, 0.6 + 0.55 * len(skills))
    left = [0.0] * len(skills)
    for i, level in enumerate(LEVEL_ORDER):
        widths = [float(levels[s].get(level, Count(0)).value or 0) for s in skills]
        if not any(widths):
            continue
        ax.barh([skill_label(s) for s in skills], widths, left=left,
                color=PALETTE[i % len(PALETTE)], label=level_label(level))
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.invert_yaxis()
    ax.legend(ncols=4, fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    data = _render(fig, kind)
    return _svg(data) if kind == "svg" else data
