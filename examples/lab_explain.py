"""Backpropagation by hand, printed: forward values, then the chain rule edge by edge.

Same as: descend explain "(v*x - y)**2" v=0 x=2 y=5 --lr 0.1 --wrt v --graph graph.svg
Run: python examples/lab_explain.py [folder]
"""

import sys
from pathlib import Path

import descend as dc
from descend import lab, viz

out = Path(sys.argv[1] if len(sys.argv) > 1 else "lab_pictures")
out.mkdir(parents=True, exist_ok=True)

print(lab.explain("(v*x - y)**2", v=0, x=2, y=5, lr=0.1, wrt=["v"]))

# the same for a graph built from tensors, drawn with values on nodes and gradients on edges
w = dc.tensor(0.5, dtype="float64", requires_grad=True, name="w")
b = dc.tensor(-1.0, dtype="float64", requires_grad=True, name="b")
loss = 0.5 * ((w * 2.0 + b).sigmoid() - 0.9) ** 2
# before backward(), draw_graph runs its own backward pass (needs Graphviz's dot for PNG/SVG;
# without it, it warns and returns the DOT text)
drawn = viz.draw_graph(loss, out / "graph.png")
print(drawn if drawn.path is None else f"wrote {drawn.path}")
with viz.trace() as graph:          # or record the backward you run yourself
    loss.backward()
print(f"w.grad = {w.grad.item():.4f}, b.grad = {b.grad.item():.4f}, "
      f"recorded {len(graph.edges)} edges")
