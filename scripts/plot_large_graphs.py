#!/usr/bin/env python3
"""Plots bench_large_graph's rows: throughput and peak memory against the number of edges.

Reads the JSON objects of the rows (one per line, as docs/data/large_graphs.jsonl holds them, or
the "rows" of bench_large_graph's JSON lines) and writes one SVG with two panels, log-log
throughput (targets/s) and peak memory (MiB, log edges), one line per method and streamed mode:
solid for compact batches (what chunk files use), dashed for batches of full-graph masks. Python's
standard library only.

    scripts/plot_large_graphs.py docs/data/large_graphs.jsonl docs/large_graphs.svg
"""
import json
import math
import sys

W, H = 920, 380  # whole picture
PANEL_W, PANEL_H = 340, 260
LEFT, TOP = 80, 50
GAP = 130
COLOURS = {"saliency": "#1f77b4", "gnnexplainer": "#d62728"}
DASH = {"compact": "none", "stream": "5,4"}  # the streamed modes drawn, and their lines


def read_rows(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            obj = json.loads(line)
            rows.extend(obj["rows"] if "rows" in obj else [obj])
    return [r for r in rows if r.get("mode") in DASH]


def log_ticks(lo, hi):
    # Decades around [lo, hi]; a value within 5 % of a decade counts as on it (9 990 edges: 10^4).
    first = math.floor(math.log10(lo) + 0.02)
    last = math.ceil(math.log10(hi) - 0.02)
    return [10.0 ** e for e in range(first, last + 1)]


def tick_text(v):
    e = round(math.log10(v))
    return f'10<tspan baseline-shift="super" font-size="9">{e}</tspan>' if abs(e) > 2 else f"{v:g}"


def panel(out, x0, title, rows, key, y_label, log_y, aim=None):
    xs = [r["edges"] for r in rows]
    ys = [r[key] for r in rows] + ([aim[0]] if aim else [])
    x_ticks = log_ticks(min(xs), max(xs))
    x_lo, x_hi = math.log10(x_ticks[0]), math.log10(x_ticks[-1])
    if log_y:
        y_ticks = log_ticks(min(ys), max(ys))
        fy = math.log10
    else:
        step = 10 ** math.floor(math.log10(max(ys))) / 2
        y_ticks = [i * step for i in range(0, int(max(ys) / step) + 2)]
        fy = float
    y_lo, y_hi = fy(y_ticks[0]), fy(y_ticks[-1])

    def px(v):
        return x0 + (math.log10(v) - x_lo) / (x_hi - x_lo) * PANEL_W

    def py(v):
        return TOP + PANEL_H - (fy(v) - y_lo) / (y_hi - y_lo) * PANEL_H

    out.append(f'<text x="{x0 + PANEL_W / 2}" y="{TOP - 18}" text-anchor="middle" font-weight="bold">{title}</text>')
    out.append(f'<rect x="{x0}" y="{TOP}" width="{PANEL_W}" height="{PANEL_H}" fill="none" stroke="#444"/>')
    for t in x_ticks:
        out.append(f'<line x1="{px(t):.1f}" y1="{TOP}" x2="{px(t):.1f}" y2="{TOP + PANEL_H}" stroke="#ddd"/>')
        out.append(f'<text x="{px(t):.1f}" y="{TOP + PANEL_H + 18}" text-anchor="middle">{tick_text(t)}</text>')
    for t in y_ticks:
        out.append(f'<line x1="{x0}" y1="{py(t):.1f}" x2="{x0 + PANEL_W}" y2="{py(t):.1f}" stroke="#ddd"/>')
        label = tick_text(t) if log_y else f"{t:g}"
        out.append(f'<text x="{x0 - 6}" y="{py(t) + 4:.1f}" text-anchor="end">{label}</text>')
    out.append(f'<text x="{x0 + PANEL_W / 2}" y="{TOP + PANEL_H + 40}" text-anchor="middle">edges</text>')
    out.append(f'<text transform="translate({x0 - 55},{TOP + PANEL_H / 2}) rotate(-90)" '
               f'text-anchor="middle">{y_label}</text>')
    if aim:
        out.append(f'<line x1="{x0}" y1="{py(aim[0]):.1f}" x2="{x0 + PANEL_W}" y2="{py(aim[0]):.1f}" '
                   f'stroke="#444" stroke-dasharray="6,4"/>')
        out.append(f'<text x="{x0 + 6}" y="{py(aim[0]) - 6:.1f}">{aim[1]}</text>')
    for method, mode in sorted({(r["method"], r["mode"]) for r in rows}):
        pts = sorted((r["edges"], r[key]) for r in rows if r["method"] == method and r["mode"] == mode)
        colour = COLOURS.get(method, "#333")
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2" '
                   f'stroke-dasharray="{DASH[mode]}"/>')
        for x, y in pts:
            out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3.5" fill="{colour}"/>')


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: plot_large_graphs.py ROWS.jsonl OUT.svg")
    rows = read_rows(sys.argv[1])
    if not rows:
        sys.exit(f"plot_large_graphs.py: no streamed rows in {sys.argv[1]}")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" '
           f'font-size="12"><rect width="{W}" height="{H}" fill="white"/>']
    panel(out, LEFT, "throughput", rows, "targets_per_s", "targets per second", True)
    panel(out, LEFT + PANEL_W + GAP, "peak memory (ru_maxrss)", rows, "max_rss_mib", "MiB", False,
          aim=(4096, "aim: 4 GiB"))
    y = TOP + PANEL_H + 62
    x = LEFT
    for method, mode in sorted({(r["method"], r["mode"]) for r in rows}):
        colour = COLOURS.get(method, "#333")
        out.append(f'<line x1="{x}" y1="{y}" x2="{x + 24}" y2="{y}" stroke="{colour}" stroke-width="2" '
                   f'stroke-dasharray="{DASH[mode]}"/>')
        label = method + (", compact" if mode == "compact" else ", full masks")
        out.append(f'<text x="{x + 30}" y="{y + 4}">{label}</text>')
        x += 190
    out.append("</svg>")
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
