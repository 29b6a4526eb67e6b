"""The data-flow diagram as SVG, laid out here (no graphviz needed).

Each trust boundary is a column drawn as a dashed box around its elements, in
the order the file lists them; elements outside every boundary form the last
column. Flows are arrows numbered like the flow table (F1, F2...). Shapes follow
data-flow diagram custom: external entities are plain boxes, processes (agents,
models) rounded, data stores open on the sides, tools double-bordered.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from redline.threat_model.threats import Element, ThreatModel

NODE_W, NODE_H = 170, 56
COLUMN_GAP, ROW_GAP = 90, 44
PAD, BOUNDARY_PAD, TITLE_H = 30, 18, 26
# Room right of the nodes for flows between elements of one column, drawn as arcs.
ARC_ROOM = 80
_KIND_CAPTION = {
    "external_entity": "external",
    "process": "process",
    "agent": "agent",
    "llm": "model",
    "data_store": "data store",
    "tool": "tool",
}


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float = NODE_W
    h: float = NODE_H

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


def _columns(model: ThreatModel) -> list[tuple[str | None, list[Element]]]:
    nodes = [e for e in model.elements if e.kind != "data_flow"]
    columns: list[tuple[str | None, list[Element]]] = [
        (b.id, [e for e in nodes if e.boundary == b.id]) for b in model.system.trust_boundaries
    ]
    loose = [e for e in nodes if e.boundary is None]
    if loose:
        columns.append((None, loose))
    return [(boundary, members) for boundary, members in columns if members]


def layout(model: ThreatModel) -> tuple[dict[str, Box], dict[str, Box], float, float]:
    """Node boxes by element id, boundary boxes by boundary id, canvas width and height."""
    nodes: dict[str, Box] = {}
    boundaries: dict[str, Box] = {}
    x = PAD
    tallest = 0.0
    for boundary, members in _columns(model):
        top = PAD + TITLE_H + BOUNDARY_PAD
        for row, element in enumerate(members):
            nodes[element.id] = Box(x + BOUNDARY_PAD, top + row * (NODE_H + ROW_GAP))
        height = len(members) * NODE_H + (len(members) - 1) * ROW_GAP + 2 * BOUNDARY_PAD
        ids = {e.id for e in members}
        inner = any(f.source in ids and f.target in ids for f in model.system.data_flows)
        width = NODE_W + 2 * BOUNDARY_PAD + (ARC_ROOM if inner else 0)
        if boundary is not None:
            boundaries[boundary] = Box(x, PAD + TITLE_H, width, height)
        tallest = max(tallest, PAD + TITLE_H + height)
        x += width + COLUMN_GAP
    width = x - COLUMN_GAP + PAD
    return nodes, boundaries, max(width, 2 * PAD + NODE_W), tallest + PAD


def _shape(element: Element, box: Box) -> str:
    x, y, w, h = box.x, box.y, box.w, box.h
    style = 'fill="#ffffff" stroke="#333" stroke-width="1.5"'
    if element.kind == "external_entity":
        shape = f'<rect x="{x}" y="{y}" width="{w}" height="{h}" {style}/>'
    elif element.kind == "data_store":
        shape = (
            f'<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="#f6f6f6" stroke="none"/>'
            f'<line x1="{x}" y1="{y}" x2="{x + w}" y2="{y}" stroke="#333" stroke-width="1.5"/>'
            f'<line x1="{x}" y1="{y + h}" x2="{x + w}" y2="{y + h}" stroke="#333" '
            'stroke-width="1.5"/>'
        )
    elif element.kind == "tool":
        shape = (
            f'<rect x="{x}" y="{y}" width="{w}" height="{h}" {style}/>'
            f'<rect x="{x + 4}" y="{y + 4}" width="{w - 8}" height="{h - 8}" fill="none" '
            'stroke="#333" stroke-width="1"/>'
        )
    else:
        shape = f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="22" {style}/>'
    label = escape(element.label if len(element.label) <= 22 else element.label[:21] + "…")
    caption = _KIND_CAPTION.get(element.kind, element.kind)
    return (
        f'<g class="element" id="el-{escape(element.id)}">{shape}'
        f'<text x="{box.cx}" y="{box.cy - 2}" text-anchor="middle" font-size="13">{label}</text>'
        f'<text x="{box.cx}" y="{box.cy + 15}" text-anchor="middle" font-size="10" '
        f'fill="#666">{caption}</text></g>'
    )


def _flow_path(source: Box, target: Box, offset: float) -> tuple[str, float, float]:
    """The path of a flow and where its label goes.

    Between columns: a gentle curve from facing sides. Within a column: an arc out
    to the right of the nodes, wider the further apart they are, so it never
    crosses the nodes between them.
    """
    if source.x == target.x:
        x1, y1 = source.x + source.w, source.cy + offset / 4
        x2, y2 = target.x + target.w, target.cy - offset / 4
        rows = abs(target.cy - source.cy) / (NODE_H + ROW_GAP)
        mx, my = x1 + min(ARC_ROOM * 1.6, 30 + 22 * rows) + offset, (y1 + y2) / 2
    else:
        forward = target.x > source.x
        x1 = source.x + source.w if forward else source.x
        x2 = target.x if forward else target.x + target.w
        y1, y2 = source.cy, target.cy
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2 + offset
    label_x, label_y = (x1 + 2 * mx + x2) / 4, (y1 + 2 * my + y2) / 4
    return f"M{x1:.1f},{y1:.1f} Q{mx:.1f},{my:.1f} {x2:.1f},{y2:.1f}", label_x, label_y


def _flow(flow_id: str, source: Box, target: Box, offset: float) -> str:
    path, lx, ly = _flow_path(source, target, offset)
    return (
        f'<g class="flow" id="flow-{escape(flow_id)}"><path d="{path}" fill="none" '
        'stroke="#1f5fa8" stroke-width="1.4" marker-end="url(#arrow)"/>'
        f'<circle cx="{lx:.1f}" cy="{ly:.1f}" r="11" fill="#e8f0fb" stroke="#1f5fa8"/>'
        f'<text x="{lx:.1f}" y="{ly + 4:.1f}" text-anchor="middle" font-size="10">'
        f"{escape(flow_id)}</text></g>"
    )


def render_svg(model: ThreatModel) -> str:
    """The diagram as a standalone SVG document."""
    nodes, boundaries, width, height = layout(model)
    names = {b.id: b.name or b.id for b in model.system.trust_boundaries}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="Helvetica, Arial, sans-serif">',
        f"<title>Data flows: {escape(model.system.name)}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#1f5fa8"/></marker></defs>',
    ]
    for boundary_id, box in boundaries.items():
        parts.append(
            f'<g class="boundary" id="tb-{escape(boundary_id)}"><rect x="{box.x}" y="{box.y}" '
            f'width="{box.w}" height="{box.h}" fill="none" stroke="#b03030" '
            'stroke-width="1.5" stroke-dasharray="7 5" rx="6"/>'
            f'<text x="{box.x + 6}" y="{box.y - 8}" font-size="12" fill="#b03030">'
            f"{escape(names[boundary_id])}</text></g>"
        )
    seen_pairs: dict[frozenset[str], int] = {}
    for flow in model.system.flows():
        pair = frozenset((flow.source, flow.target))
        # A second flow between the same two elements bends the other way.
        offset = 44.0 * seen_pairs.get(pair, 0)
        seen_pairs[pair] = seen_pairs.get(pair, 0) + 1
        parts.append(_flow(flow.id, nodes[flow.source], nodes[flow.target], offset))
    for element in model.elements:
        if element.id in nodes:
            parts.append(_shape(element, nodes[element.id]))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
