"""Tutorial 5: backpropagation on a graph, edge by edge, for L = (v·x − y)² at v=0, x=2, y=5.

The chain rule multiplies local derivatives backwards from dL/dL = 1: −10 on the edge into L,
−10 into the subtraction, −20 into v. The graph is drawn with each value on its node and
each gradient on its edge (PNG with Graphviz's ``dot``; the DOT text always).
Run: python examples/tutorial_05_backprop.py [OUT_DIR]   (default: docs/images/course)
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import descend as dc


def main(out: str | Path = "docs/images/course") -> dict:
    explanation = dc.lab.explain("(v*x - y)**2", v=0, x=2, y=5, lr=0.1, wrt=["v"])
    print(explanation)
    edges = [(a, b, g.item()) for a, b, g in explanation.edge_gradients()]
    # the same by hand: t1 = v·x, t2 = t1 − y, L = t2²
    v, x, y = 0.0, 2.0, 5.0
    t2 = v * x - y
    by_hand = [2 * t2, 2 * t2 * 1.0, 2 * t2 * 1.0 * x]         # dL/dt2, dL/dt1, dL/dv
    print("by hand:", by_hand)
    Path(out).mkdir(parents=True, exist_ok=True)
    dot = Path(out) / "05_backprop.dot"
    dot.write_text(str(dc.viz.draw_graph(explanation.trace)))
    picture = None
    if shutil.which("dot"):
        picture = Path(out) / "05_backprop.png"
        dc.viz.draw_graph(explanation.trace, picture)
    return {"edges": edges, "by_hand": by_hand, "dot": dot, "picture": picture}


if __name__ == "__main__":
    main(*sys.argv[1:2])
