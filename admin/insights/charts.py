"""Server-side SVG charts (no JavaScript, no network): bars per day, horizontal bars, a share bar and a gauge.

Every label goes through markupsafe.escape; numbers are formatted here. The output is Markup for templates.
"""

from __future__ import annotations

from markupsafe import Markup, escape

COLOURS = ("#06c755", "#2f6fdf", "#f5a623", "#d0021b", "#7b61ff", "#50e3c2", "#8b572a", "#9b9b9b")
FONT = 'font-family="system-ui, sans-serif"'


def _svg(width: int, height: int, label: str, body: list[str]) -> Markup:
    head = (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>"
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 (every piece is escaped or numeric)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step:
            return step
    return value


def bar_chart(points: list[tuple[str, float]], label: str, width: int = 720, height: int = 220) -> Markup:
    """Vertical bars (e.g. messages per day) with the top value on the axis and every few labels below."""
    left, bottom, top = 36, 24, 10
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = _nice_max(max((v for _, v in points), default=0))
    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 8}" y2="{top + plot_h}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" font-size="10" {FONT}>{peak:g}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" font-size="10" {FONT}>0</text>',
    ]
    n = max(len(points), 1)
    slot = plot_w / n
    every = max(1, round(n / 10))
    for i, (name, value) in enumerate(points):
        h = plot_h * value / peak
        x = left + i * slot
        body.append(
            f'<rect x="{x + slot * 0.15:.1f}" y="{top + plot_h - h:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{h:.1f}" fill="{COLOURS[0]}"><title>{escape(name)}: {value:g}</title></rect>'
        )
        if i % every == 0:
            body.append(
                f'<text x="{x + slot / 2:.1f}" y="{height - 8}" text-anchor="middle" font-size="10" {FONT}>'
                f"{escape(name)}</text>"
            )
    return _svg(width, height, label, body)


def hbar_chart(items: list[tuple[str, float]], label: str, width: int = 380, unit: str = "") -> Markup:
    """Horizontal bars with the label on the left and the value on the right (e.g. intents)."""
    row, label_w, value_w = 24, 120, 44
    height = max(row * len(items), row) + 8
    peak = max((v for _, v in items), default=0) or 1
    plot_w = width - label_w - value_w
    body = []
    for i, (name, value) in enumerate(items):
        y = 4 + i * row
        w = plot_w * value / peak
        body.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12" {FONT}>{escape(name)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{COLOURS[i % len(COLOURS)]}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 15}" font-size="12" {FONT}>{value:g}{escape(unit)}</text>'
        )
    return _svg(width, height, label, body)


def share_bar(parts: list[tuple[str, float]], label: str, width: int = 380) -> Markup:
    """One 100% bar split into parts, with a legend showing counts and percentages."""
    total = sum(v for _, v in parts) or 1
    height = 40 + 20 * len(parts)
    body, x = [], 0.0
    for i, (name, value) in enumerate(parts):
        w = width * value / total
        colour = COLOURS[i % len(COLOURS)]
        body.append(
            f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="28" fill="{colour}">'
            f"<title>{escape(name)}: {value:g}</title></rect>"
        )
        body.append(
            f'<rect x="0" y="{38 + 20 * i}" width="12" height="12" fill="{colour}"/>'
            f'<text x="18" y="{48 + 20 * i}" font-size="12" {FONT}>{escape(name)}: {value:g}'
            f"（{100 * value / total:.0f}%）</text>"
        )
        x += w
    return _svg(width, height, label, body)


def gauge(used: int, budget: int, label: str, width: int = 380) -> Markup:
    """How much of a budget is used: a bar that turns orange at 80% and red at 100%."""
    ratio = used / budget if budget else 1.0
    colour = COLOURS[3] if ratio >= 1 else COLOURS[2] if ratio >= 0.8 else COLOURS[0]
    fill = width * min(ratio, 1.0)
    body = [
        f'<rect x="0" y="0" width="{width}" height="24" rx="4" fill="#eee"/>',
        f'<rect x="0" y="0" width="{fill:.1f}" height="24" rx="4" fill="{colour}"/>',
        f'<text x="6" y="44" font-size="13" {FONT}>{used} / {budget}（{100 * ratio:.0f}%）</text>',
    ]
    return _svg(width, 52, label, body)
