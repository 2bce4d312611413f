"""bench/plot.py: bench/run's results as one SVG file, written by hand (no
matplotlib on the machines this runs on).  One group of horizontal bars per
scenario and worker count, requests/s on the left and proxy CPU per request
on the right, each panel on its own scale (they differ by 100x between
scenarios); a bar per proxy and reuse policy, its value written beside it.
"""

from xml.sax.saxutils import escape

COLORS = {"lbproxy": "#1f5fa8", "lbproxy-b": "#8a4fbf", "haproxy": "#e07b10",
          "nginx": "#2f9a3a", "floor": "#7a7a7a"}
# Policies other than the first one shown are lighter.
OPACITY = {"safe": 0.55, "never": 0.35}
DEFAULT_CAPTIONS = ("requests/s (higher is better)",
                    "proxy CPU us/request (lower is better)")

WIDTH = 1120
LABEL_W = 150     # bar labels, right-aligned against the first panel
GAP = 40
PANEL_W = (WIDTH - LABEL_W - 2 * GAP) // 2
VALUE_W = 70      # room for the value after the longest bar
BAR_H = 12
BAR_STEP = 15
HEAD_H = 22       # a group's title line
GROUP_GAP = 12
TOP = 78          # title, subtitle, legend


class Bar:
    def __init__(self, proxy, reuse, left, right):
        self.proxy, self.reuse = proxy, reuse
        self.left, self.right = left, right


class Group:
    def __init__(self, title, bars, captions=None):
        self.title, self.bars = title, bars
        self.captions = captions or DEFAULT_CAPTIONS


def fmt(v):
    if v >= 1000:
        return "{:,}".format(int(round(v)))
    if v >= 10:
        return "%.1f" % v
    return "%.2f" % v


def text(x, y, s, size=11, anchor="start", weight="normal", fill="#222"):
    return ('<text x="%.1f" y="%.1f" font-size="%d" text-anchor="%s" '
            'font-weight="%s" fill="%s">%s</text>'
            % (x, y, size, anchor, weight, fill, escape(s)))


def panel(x0, y, bars, values):
    """Bars from x0, one per row starting at y, scaled to the largest."""
    out = []
    top = max(values) or 1.0
    scale = (PANEL_W - VALUE_W) / top
    for i, (b, v) in enumerate(zip(bars, values)):
        by = y + i * BAR_STEP
        w = max(v * scale, 1.0)
        out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%d" '
                   'fill="%s" fill-opacity="%.2f"/>'
                   % (x0, by, w, BAR_H, COLORS.get(b.proxy, "#444"),
                      OPACITY.get(b.reuse, 1.0)))
        out.append(text(x0 + w + 4, by + BAR_H - 2, fmt(v), 10))
    h = len(bars) * BAR_STEP
    out.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" '
               'stroke="#444" stroke-width="1"/>' % (x0, y - 2, x0, y + h))
    return out


def svg(title, subtitle, groups):
    """The whole document as a string."""
    body = []
    y = TOP
    x_left = LABEL_W + 10
    x_right = x_left + PANEL_W + GAP
    for g in groups:
        body.append(text(10, y + 14, g.title, 12, weight="bold"))
        body.append(text(x_left + PANEL_W, y + 14, g.captions[0], 10,
                         anchor="end", fill="#555"))
        body.append(text(x_right + PANEL_W, y + 14, g.captions[1], 10,
                         anchor="end", fill="#555"))
        by = y + HEAD_H
        for i, b in enumerate(g.bars):
            label = b.proxy if b.reuse in ("-", "") else \
                "%s %s" % (b.proxy, b.reuse)
            body.append(text(LABEL_W, by + i * BAR_STEP + BAR_H - 2, label,
                             10, anchor="end"))
        body += panel(x_left, by, g.bars, [b.left for b in g.bars])
        body += panel(x_right, by, g.bars, [b.right for b in g.bars])
        y = by + len(g.bars) * BAR_STEP + GROUP_GAP
    height = y + 10
    legend = []
    lx = 10
    present = {b.proxy for g in groups for b in g.bars}
    for name, color in COLORS.items():
        if name not in present:
            continue
        legend.append('<rect x="%d" y="52" width="12" height="12" '
                      'fill="%s"/>' % (lx, color))
        legend.append(text(lx + 16, 62, name, 11))
        lx += 90
    legend.append(text(lx, 62, "lighter bars: reuse policy safe "
                       "(never: lighter still)", 11, fill="#555"))
    head = ['<?xml version="1.0" encoding="UTF-8"?>',
            '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
            'viewBox="0 0 %d %d" font-family="DejaVu Sans, Arial, '
            'sans-serif">' % (WIDTH, height, WIDTH, height),
            '<rect width="100%" height="100%" fill="#fff"/>',
            text(10, 22, title, 16, weight="bold"),
            text(10, 40, subtitle, 11, fill="#555")]
    return "\n".join(head + legend + body + ["</svg>", ""])
