"""The compiled training step (``dc.jit``): trace a step once per input signature, replay it as
NumPy calls. DESIGN's ``jit/``: the package is named ``compiler`` so that the function ``dc.jit``
does not hide it.

``step = dc.jit(train_step)`` (or ``model.compile(..., jit_compile=True)``) runs the step
eagerly once while recording what it does, then replays that record on later calls with the
same shapes and dtypes, giving bit-for-bit the eager step's weights. ``print(step.program(x,
y))`` shows the record as NumPy-style code: what was computed once when it was made (numbers,
views of parameters), the forward pass, then backprop, then the update; results are written
into temporaries no one reads again (``out=``), as hand-written NumPy does.

>>> import numpy as np, descend as dc
>>> w1 = dc.tensor(np.full((2, 3), 0.5), requires_grad=True, name="w1")
>>> w2 = dc.tensor(np.full((3, 1), 0.5), requires_grad=True, name="w2")
>>> optimizer = dc.optim.SGD([w1, w2], lr=0.1)
>>> def train_step(x, y):
...     optimizer.zero_grad()
...     loss = (((x @ w1).relu() @ w2 - y) ** 2).mean()
...     loss.backward()
...     optimizer.step()
...     return loss
>>> step = dc.jit(train_step)
>>> x, y = np.ones((4, 2), dtype=np.float32), np.zeros((4, 1), dtype=np.float32)
>>> print(step.program(x, y))
def step(x, y):
    g11 = np.broadcast_to(1.0, ...)  # once
    g13 = g11 * 0.25  # once
    g15 = g13 * 2.0  # once
    optimizer.zero_grad(set_to_none=True)
    t3 = x @ w1
    t4 = np.maximum(t3, 0, out=t3)
    t6 = t4 @ w2
    t7 = np.subtract(t6, y, out=t6)
    t8 = t7 ** 2
    t9 = t8.mean()
    g16 = t7 ** 1
    g17 = np.multiply(g15, g16, out=g16)
    g18 = g17 @ w2.T
    g19 = t4.T @ g17
    g21 = t4 > 0
    g22 = np.multiply(g18, g21, out=g18)
    g23 = x.T @ g22
    w1.grad += g23; w1 = sgd_update(w1.grad, state, w1)
    w2.grad += g19; w2 = sgd_update(w2.grad, state, w2)
    return t9
>>> [round(step(x, y).item(), 4) for _ in range(2)]      # steps 2 and 3, replayed
[0.1764, 0.0797]
"""

from descend.compiler.program import Program
from descend.compiler.step import CompiledStep, jit
from descend.compiler.trace import TraceError

__all__ = ["CompiledStep", "Program", "TraceError", "jit"]
