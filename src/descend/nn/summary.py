"""The Keras-style table ``model.summary()`` prints: layers, output shapes, parameter counts.

>>> import descend as dc
>>> print(summary_table(dc.Sequential([dc.nn.Dense(4, input_dim=3), dc.nn.BatchNorm()])))
Model: "Sequential"
_________________________________________
 Layer (type)     Output Shape   Param #
=========================================
 0 (Dense)        (None, 4)      16
 1 (BatchNorm)    (None, 4)      16
=========================================
Total params: 32
Trainable params: 24
Non-trainable params: 8
_________________________________________
"""

from __future__ import annotations

from descend.nn.module import Module


def _counts(module: Module) -> tuple[int, int]:
    """(trainable, non-trainable) values: frozen parameters and buffers are non-trainable."""
    trainable = sum(p.size for p in module.parameters() if p.requires_grad)
    frozen = sum(p.size for p in module.parameters() if not p.requires_grad)
    return trainable, frozen + sum(b.size for _, b in module.named_buffers())


def summary_table(model: Module) -> str:
    """The summary of ``model`` as text: one row per direct child (or the module itself).

    >>> import descend as dc
    >>> summary_table(dc.nn.Dense(2, input_dim=3)).splitlines()[4]
    ' Dense          (None, 2)      8'
    """
    rows = list(model.named_children()) or [("", model)]
    table = [("Layer (type)", "Output Shape", "Param #")]
    for name, child in rows:
        label = f"{name} ({type(child).__name__})" if name else type(child).__name__
        shape = str(child.output_shape) if child.output_shape is not None else "?"
        count = str(sum(_counts(child))) if child.built else "0 (unbuilt)"
        table.append((label, shape, count))
    widths = [max(len(row[i]) for row in table) + 3 for i in range(3)]
    line_width = sum(widths)
    lines = [f'Model: "{type(model).__name__}"', "_" * line_width]
    for i, row in enumerate(table):
        lines.append(" " + "".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if i == 0:
            lines.append("=" * line_width)
    trainable, frozen = _counts(model)
    lines += ["=" * line_width, f"Total params: {trainable + frozen:,}",
              f"Trainable params: {trainable:,}", f"Non-trainable params: {frozen:,}"]
    if not model.built:
        lines.append("Some layers are not built yet: call model.build(input_shape) or run the "
                     "model on one batch to create their parameters.")
    lines.append("_" * line_width)
    return "\n".join(lines)
