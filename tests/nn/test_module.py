"""Module and Parameter: registration, names, modes, state dicts, dtype, penalties, display."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Dense(4, activation="relu", input_dim=3)
        self.norm = nn.BatchNorm(input_shape=(4,))
        self.heads = [nn.Dense(2, input_dim=4), nn.Dense(1, input_dim=4)]
        self.scale = nn.Parameter([2.0])
        self.note = "not a module"

    def forward(self, x):
        h = self.norm(self.encoder(x))
        return self.heads[0](h).sum(axis=1, keepdims=True) * self.scale + self.heads[1](h)


def test_parameter_is_a_trainable_float_tensor():
    p = nn.Parameter(np.ones((2, 3)))
    assert isinstance(p, dc.Tensor) and p.requires_grad and p.dtype == np.float32
    assert nn.Parameter([1.0], dtype="float64").dtype == np.float64
    assert repr(nn.Parameter([1.0, 2.0])) == "Parameter(tensor([1., 2.]))"
    with pytest.raises(TypeError, match=r"Parameter: parameters must be floating point to be "
                                        r"trained, got int64"):
        nn.Parameter([1, 2])


def test_attributes_register_parameters_children_and_lists_in_order():
    block = Block()
    names = [name for name, _ in block.named_parameters()]
    assert names == ["scale", "encoder.kernel", "encoder.bias", "norm.gamma", "norm.beta",
                     "heads.0.kernel", "heads.0.bias", "heads.1.kernel", "heads.1.bias"]
    assert [name for name, _ in block.named_buffers()] == ["norm.running_mean",
                                                           "norm.running_var"]
    assert [name for name, _ in block.named_modules()] == ["", "encoder", "norm", "heads.0",
                                                           "heads.1"]
    assert block.parameters()[1] is block.encoder.kernel
    assert len(block.children()) == 4


def test_shared_parameters_and_modules_are_listed_once():
    layer = nn.Dense(2, input_dim=2)
    model = dc.Sequential([layer, layer])
    assert [name for name, _ in model.named_parameters()] == ["0.kernel", "0.bias"]
    model(dc.ones((1, 2))).sum().backward()
    assert layer.kernel.grad is not None


def test_train_eval_switch_every_module_and_zero_grad_forgets_gradients():
    block = Block()
    assert block.eval() is block
    assert not any(m.training for m in block.modules())
    block.train()
    assert all(m.training for m in block.modules())
    block(dc.ones((4, 3))).sum().backward()
    assert all(p.grad is not None for p in block.parameters())
    block.zero_grad()
    assert all(p.grad is None for p in block.parameters())


def test_state_dict_is_a_copy_and_loads_back_with_buffers():
    dc.seed(0)
    a, b = Block(), Block()
    a(dc.randn(8, 3))                      # moves the BatchNorm running statistics
    state = a.state_dict()
    assert list(state) == ["scale", "encoder.kernel", "encoder.bias", "norm.gamma", "norm.beta",
                           "norm.running_mean", "norm.running_var", "heads.0.kernel",
                           "heads.0.bias", "heads.1.kernel", "heads.1.bias"]
    assert all(isinstance(v, np.ndarray) for v in state.values())
    state["scale"][0] = 99.0
    assert a.scale.item() == 2.0           # a copy, not a view
    kernel = b.encoder.kernel
    assert b.load_state_dict(a.state_dict()) == ([], [])
    assert b.encoder.kernel is kernel      # loaded in place
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        np.testing.assert_array_equal(x, y, err_msg=name)
    x = dc.randn(5, 3)
    a.eval(), b.eval()
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())


def test_load_state_dict_lists_every_problem_at_once():
    block = Block()
    state = block.state_dict()
    del state["encoder.bias"], state["norm.running_var"]
    state["decoder.kernel"] = np.zeros(3)
    state["heads.0.kernel"] = np.zeros((5, 2))
    with pytest.raises(ValueError) as err:
        block.load_state_dict(state)
    message = str(err.value)
    assert message.startswith("load_state_dict: the state does not fit Block: ")
    assert "shape mismatch for heads.0.kernel: expected shape (4, 2), got (5, 2)" in message
    assert "missing keys: ['encoder.bias', 'norm.running_var']" in message
    assert "unexpected keys: ['decoder.kernel']" in message


def test_load_state_dict_not_strict_loads_the_matching_keys():
    source, target = nn.Dense(2, input_dim=3), nn.Dense(2, input_dim=3, use_bias=False)
    result = target.load_state_dict(source.state_dict(), strict=False)
    assert result.missing_keys == [] and result.unexpected_keys == ["bias"]
    np.testing.assert_array_equal(target.kernel.numpy(), source.kernel.numpy())
    with pytest.raises(ValueError, match=r"shape mismatch for kernel: expected shape \(3, 2\), "
                                         r"got \(2, 2\)"):
        target.load_state_dict({"kernel": np.zeros((2, 2))}, strict=False)


def test_load_state_dict_into_an_unbuilt_model_says_to_build_it():
    state = dc.Sequential([nn.Dense(2, input_dim=3)]).state_dict()
    with pytest.raises(ValueError, match=r"not built yet: call model.build\(input_shape\).*"
                                         r"unexpected keys: \['0.kernel', '0.bias'\]"):
        dc.Sequential([nn.Dense(2)]).load_state_dict(state)


def test_astype_converts_parameters_buffers_and_later_builds_in_place():
    model = dc.Sequential([nn.Dense(3, input_dim=2), nn.BatchNorm(), nn.Dense(1)])
    kernel = model[0].kernel
    model(dc.ones((4, 2))).sum().backward()
    assert model.astype("float64") is model
    assert model[0].kernel is kernel
    for name, value in model.state_dict().items():
        assert value.dtype == np.float64, name
    assert kernel.grad.dtype == np.float64
    lazy = dc.Sequential([nn.Dense(2)]).astype(np.float64)
    assert lazy(dc.ones((1, 3), dtype="float64"))[0].dtype == np.float64
    assert lazy[0].kernel.dtype == np.float64
    model.astype("float32")
    assert model[1].running_var.dtype == np.float32
    with pytest.raises(TypeError, match=r"Sequential.astype: expected a floating dtype"):
        model.astype("int32")


def test_regularization_loss_sums_every_penalty():
    model = dc.Sequential([
        nn.Dense(3, input_dim=2, kernel_regularizer="l2", bias_initializer="ones",
                 bias_regularizer=nn.regularizers.L1(0.5)),
        nn.Dense(1, kernel_regularizer=nn.regularizers.L1L2(l1=0.1, l2=0.2)),
        nn.Embedding(4, 2, embeddings_regularizer="l1"),
    ])
    model.build((None, 2))
    k0, k1 = model[0].kernel.numpy(), model[1].kernel.numpy()
    table = model[2].embeddings.numpy()
    expected = (0.01 * (k0 ** 2).sum() + 0.5 * 3 + 0.1 * np.abs(k1).sum()
                + 0.2 * (k1 ** 2).sum() + 0.01 * np.abs(table).sum())
    loss = model.regularization_loss()
    assert loss.shape == () and loss.item() == pytest.approx(expected, rel=1e-5)
    loss.backward()
    np.testing.assert_allclose(model[0].kernel.grad.numpy(), 0.02 * k0, rtol=1e-5)
    np.testing.assert_allclose(model[0].bias.grad.numpy(), [0.5] * 3)
    assert nn.Dense(2, input_dim=2).regularization_loss().item() == 0.0


def test_repr_shows_the_tree():
    assert repr(Block()).splitlines() == [
        "Block(",
        "  (encoder): Dense(units=4, activation=relu, input_dim=3)",
        "  (norm): BatchNorm(4, momentum=0.1, eps=1e-05)",
        "  (heads.0): Dense(units=2, input_dim=4)",
        "  (heads.1): Dense(units=1, input_dim=4)",
        ")",
    ]
    nested = dc.Sequential([dc.Sequential([nn.Flatten()]), nn.Dense(2, use_bias=False)])
    assert repr(nested) == ("Sequential(\n  (0): Sequential(\n    (0): Flatten()\n  )\n"
                            "  (1): Dense(units=2, use_bias=False)\n)")


def test_summary_prints_and_returns_the_table():
    printed = []
    model = dc.Sequential([nn.Dense(64, activation="relu", input_dim=13), nn.BatchNorm(),
                           nn.Dropout(0.5), nn.Dense(1)])
    model[0].bias.requires_grad = False
    text = model.summary(print_fn=printed.append)
    assert printed == [text]
    lines = text.splitlines()
    assert lines[0] == 'Model: "Sequential"'
    assert lines[2].split() == ["Layer", "(type)", "Output", "Shape", "Param", "#"]
    assert lines[4].split() == ["0", "(Dense)", "(None,", "64)", "896"]
    assert lines[5].split() == ["1", "(BatchNorm)", "(None,", "64)", "256"]
    assert lines[6].split() == ["2", "(Dropout)", "(None,", "64)", "0"]
    assert lines[7].split() == ["3", "(Dense)", "(None,", "1)", "65"]
    assert "Total params: 1,217" in lines
    assert "Trainable params: 1,025" in lines       # 832 + 128 + 65
    assert "Non-trainable params: 192" in lines     # frozen bias 64 + running stats 128


def test_summary_of_an_unbuilt_model_says_so():
    text = dc.Sequential([nn.Dense(2)]).summary(print_fn=None)
    assert "0 (Dense)" in text and "0 (unbuilt)" in text and "not built yet" in text


def test_build_of_a_plain_module_runs_one_silent_forward_pass():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = dc.Sequential([nn.Dense(3), nn.BatchNorm(), nn.Dropout(0.5)])

        def forward(self, x):
            return self.body(x)

    net = Net()
    assert not net.built
    net.build((None, 5))
    assert net.built and net.training and net.body[2].training
    assert net.output_shape == (None, 3) and net.compute_output_shape((None, 5)) == (None, 3)
    np.testing.assert_array_equal(net.body[1].running_mean.numpy(), np.zeros(3))


def test_forgetting_super_init_is_explained():
    class Broken(nn.Module):
        def __init__(self):
            self.layer = nn.Dense(2)

    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\) at the start of "
                                             r"Broken.__init__"):
        Broken().state_dict()
    with pytest.raises(NotImplementedError, match="Module must define forward"):
        nn.Module()(dc.ones(1))
