"""The report's charts as SVG strings: pure functions of numbers and labels, no Flask, no database.

Every chart carries its own words: a <title> and an aria-label with every figure (screen
readers), and visible text labels (paper). The viewBox is sized for a phone (320 units, 15-unit
text); report.css limits the width on large screens so the text stays near the page's size.
Long labels (question and case texts) are HTML above each chart, where Japanese wraps properly;
the SVG holds the short ones: 事前 / 事後, the percentage, the number of people.

Colours: 事前 blue and 事後 orange (told apart with red-green colour blindness, and by the text
beside each bar); the five-point scales in a blue-grey-red diverging palette with labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 320
FONT = 15
SERIES_FILL = {"pre": "#4f7cb3", "post": "#c77c00"}
TRACK_FILL = "#e6e6e6"
# Colour-blind-safe diverging palette (ColorBrewer RdBu, 5 classes, the middle a neutral grey)
# and a text colour on each with enough contrast.
LIKERT_FILLS = ("#ca0020", "#f4a582", "#d9d9d9", "#92c5de", "#0571b0")
LIKERT_TEXT = ("#ffffff", "#1a1a1a", "#1a1a1a", "#1a1a1a", "#ffffff")


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: `share` (0..1) of the track, labelled with `value` and `note`."""

    series: str  # "pre" | "post": its colour
    caption: str  # 事前 / 事後
    share: float | None  # None: nobody answered (an empty track, "—")
    value: str  # "67%"
    note: str = ""  # "12人"


def _svg(height: int, label: str, body: str, css_class: str) -> Markup:
    text = escape(label)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{text}">'
        f"<title>{text}</title>{body}</svg>"
    )


def _text(x: float, y: float, content: str, *, anchor: str = "start", **attrs: str) -> str:
    extra = "".join(f' {name.replace("_", "-")}="{value}"' for name, value in attrs.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{FONT}"{extra}>'
        f"{escape(content)}</text>"
    )


def describe(bars: Sequence[Bar]) -> str:
    return "、".join(f"{b.caption} {b.value}" + (f"（{b.note}）" if b.note else "") for b in bars)


def bar_chart(label: str, bars: Sequence[Bar]) -> Markup:
    """事前 [■■■■■□□□] 67% 12人 — one row per bar, on one shared 0–100% track."""
    row, top = 28, 4
    left, track = 40, 172  # caption column; the track's length (the figures follow it)
    parts: list[str] = []
    for i, bar in enumerate(bars):
        y = top + i * row
        parts.append(_text(0, y + 18, bar.caption, fill="#1a1a1a"))
        parts.append(
            f'<rect x="{left}" y="{y + 3}" width="{track}" height="20" fill="{TRACK_FILL}"/>'
        )
        if bar.share:
            width = max(0.0, min(1.0, bar.share)) * track
            parts.append(
                f'<rect x="{left}" y="{y + 3}" width="{width:.1f}" height="20" '
                f'fill="{SERIES_FILL[bar.series]}"/>'
            )
        figures = bar.value + (f" {bar.note}" if bar.note else "")
        parts.append(_text(left + track + 6, y + 18, figures, fill="#1a1a1a", font_weight="bold"))
    height = top * 2 + row * len(bars)
    return _svg(height, f"{label}：{describe(bars)}", "".join(parts), "bar-chart")


def percent_label(share: float) -> str:
    return f"{round(100 * share)}%"


def stacked_chart(
    label: str, scale: Sequence[str], rows: Sequence[tuple[str, Sequence[int]]]
) -> Markup:
    """100% stacked bars, one per row (事前, 事後): five segments from the scale's first label to
    its last, the share written in each segment wide enough for it, N at the end of the row."""
    row, top = 34, 4
    left, track = 40, 230
    parts: list[str] = []
    described: list[str] = []
    for i, (caption, counts) in enumerate(rows):
        y = top + i * row
        n = sum(counts)
        parts.append(_text(0, y + 19, caption, fill="#1a1a1a"))
        parts.append(_text(WIDTH, y + 19, f"{n}人", anchor="end", fill="#1a1a1a"))
        if not n:
            parts.append(
                f'<rect x="{left}" y="{y + 3}" width="{track}" height="24" fill="{TRACK_FILL}"/>'
            )
            parts.append(_text(left + track / 2, y + 20, "回答なし", anchor="middle"))
            described.append(f"{caption} 回答なし")
            continue
        x = float(left)
        for index, count in enumerate(counts):
            width = track * count / n
            if width > 0:
                parts.append(
                    f'<rect x="{x:.2f}" y="{y + 3}" width="{width:.2f}" height="24" '
                    f'fill="{LIKERT_FILLS[index]}" stroke="#ffffff" stroke-width="0.5"/>'
                )
            # A label only where it fits (a 3-character "12%" needs about 30 units).
            if width >= 30:
                parts.append(
                    _text(
                        x + width / 2,
                        y + 20,
                        percent_label(count / n),
                        anchor="middle",
                        fill=LIKERT_TEXT[index],
                    )
                )
            x += width
        shares = "、".join(
            f"{name} {percent_label(count / n)}" for name, count in zip(scale, counts, strict=True)
        )
        described.append(f"{caption}（{n}人）: {shares}")
    height = top * 2 + row * len(rows)
    return _svg(height, f"{label}：{'。'.join(described)}", "".join(parts), "stacked-chart")


def swatch(index: int) -> Markup:
    """The colour of one scale step, for the legend beside the stacked bars."""
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="swatch" viewBox="0 0 16 16" '
        f'aria-hidden="true"><rect width="16" height="16" fill="{LIKERT_FILLS[index]}" '
        'stroke="#555555" stroke-width="1"/></svg>'
    )


def series_swatch(series: str) -> Markup:
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="swatch" viewBox="0 0 16 16" '
        f'aria-hidden="true"><rect width="16" height="16" fill="{SERIES_FILL[series]}"/></svg>'
    )
