"""Bad hyperparameters and bad parameter lists raise errors that name the argument and range."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend import optim


def _param():
    return dc.zeros(2, requires_grad=True)


@pytest.mark.parametrize("name", sorted(optim.OPTIMIZERS))
def test_negative_lr_names_the_range_for_every_optimizer(name):
    cls = optim.OPTIMIZERS[name]
    with pytest.raises(ValueError, match=rf"{cls.__name__}: lr must be a non-negative number "
                                         r"\(lr >= 0\), got -0.1"):
        cls([_param()], lr=-0.1)


BAD = [
    (optim.Adam, {"eps": -1e-8}, ValueError, r"Adam: eps must be a non-negative number "
                                             r"\(eps >= 0\), got -1e-08"),
    (optim.RMSprop, {"eps": -1.0}, ValueError, r"RMSprop: eps must be a non-negative"),
    (optim.SGD, {"momentum": -0.5}, ValueError, r"SGD: momentum must be a non-negative number "
                                                r"\(momentum >= 0\), got -0.5"),
    (optim.RMSprop, {"momentum": -0.9}, ValueError, r"RMSprop: momentum must be"),
    (optim.SGD, {"weight_decay": -1e-4}, ValueError, r"SGD: weight_decay must be a "
                                                     r"non-negative number"),
    (optim.AdamW, {"weight_decay": -0.01}, ValueError, r"AdamW: weight_decay must be"),
    (optim.Lion, {"weight_decay": -1.0}, ValueError, r"Lion: weight_decay must be"),
    (optim.Adam, {"betas": (1.0, 0.999)}, ValueError, r"Adam: betas\[0\] must be in \[0, 1\), "
                                                      r"got 1.0"),
    (optim.Adam, {"betas": (0.9, -0.1)}, ValueError, r"Adam: betas\[1\] must be in \[0, 1\), "
                                                     r"got -0.1"),
    (optim.Nadam, {"betas": (0.9, 1.5)}, ValueError, r"Nadam: betas\[1\] must be in \[0, 1\)"),
    (optim.Lion, {"betas": (-0.1, 0.99)}, ValueError, r"Lion: betas\[0\] must be in \[0, 1\)"),
    (optim.Adamax, {"betas": 0.9}, ValueError, r"Adamax: betas must be a pair \(beta1, beta2\) "
                                               r"of numbers in \[0, 1\), got 0.9"),
    (optim.SGD, {"nesterov": True}, ValueError, r"SGD: nesterov=True needs momentum > 0 and "
                                                r"dampening = 0, got momentum=0.0"),
    (optim.SGD, {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, ValueError,
     r"SGD: nesterov=True needs momentum > 0 and dampening = 0, got momentum=0.9 and "
     r"dampening=0.1"),
    (optim.Adadelta, {"rho": 1.5}, ValueError, r"Adadelta: rho must be in \[0, 1\], got 1.5"),
    (optim.Adagrad, {"lr_decay": -1.0}, ValueError, r"Adagrad: lr_decay must be a non-negative"),
    (optim.Adagrad, {"initial_accumulator_value": -1.0}, ValueError,
     r"Adagrad: initial_accumulator_value must be a non-negative"),
    (optim.Nadam, {"momentum_decay": -1.0}, ValueError, r"Nadam: momentum_decay must be a "
                                                        r"non-negative"),
    (optim.RMSprop, {"alpha": -0.9}, ValueError, r"RMSprop: alpha must be a non-negative"),
    (optim.SGD, {"lr": "0.1"}, TypeError, r"SGD: lr must be a number, got str '0.1'"),
    (optim.SGD, {"lr": float("nan")}, ValueError, r"SGD: lr must be a finite number, got nan"),
    (optim.Adam, {"amsgrad": 1}, TypeError, r"Adam: amsgrad must be True or False, got 1"),
]


@pytest.mark.parametrize("cls, kwargs, error, message", BAD,
                         ids=[f"{c.__name__}-{sorted(k)}" for c, k, _, _ in BAD])
def test_bad_hyperparameters_name_argument_and_range(cls, kwargs, error, message):
    with pytest.raises(error, match=message):
        cls([_param()], **kwargs)
    with pytest.raises(error, match=message):  # Keras style checks at construction too
        cls(**kwargs)


def test_a_group_with_a_bad_hyperparameter_is_refused():
    opt = optim.SGD([_param()], lr=0.1)
    with pytest.raises(ValueError, match=r"SGD: lr must be a non-negative number"):
        opt.add_param_group({"params": [_param()], "lr": -1.0})
    with pytest.raises(ValueError, match=r"SGD: nesterov=True needs momentum > 0"):
        optim.SGD([{"params": [_param()], "nesterov": True}], momentum=0.0)
    assert len(opt.param_groups) == 1


def test_unknown_group_key_lists_the_hyperparameters():
    with pytest.raises(ValueError, match=r"SGD: unknown hyperparameter\(s\) \['learning_rate'\] "
                                         r"in a parameter group; SGD takes lr, momentum"):
        optim.SGD([{"params": [_param()], "learning_rate": 0.1}])


def test_group_without_params():
    with pytest.raises(ValueError, match=r"Adam: a parameter group needs a 'params' entry"):
        optim.Adam([{"lr": 0.1}])


def test_empty_parameter_list():
    with pytest.raises(ValueError, match=r"SGD: got an empty parameter list; pass the tensors "
                                         r"to optimize"):
        optim.SGD([])
    with pytest.raises(ValueError, match=r"Adam: got an empty parameter list"):
        optim.Adam(iter([]))
    with pytest.raises(ValueError, match=r"Adam: got an empty parameter list in a parameter "
                                         r"group"):
        optim.Adam([{"params": []}])


def test_parameter_in_two_groups():
    w = _param()
    with pytest.raises(ValueError, match=r"SGD: a parameter of shape \(2,\) appears twice \(in "
                                         r"two parameter groups, or twice in one\)"):
        optim.SGD([{"params": [w]}, {"params": [w]}])
    opt = optim.SGD([w])
    with pytest.raises(ValueError, match=r"appears twice"):
        opt.add_param_group({"params": [w]})
    with pytest.raises(ValueError, match=r"appears twice"):
        optim.SGD([w, w])


def test_parameter_must_require_grad():
    with pytest.raises(ValueError, match=r"Adam: a parameter of shape \(3,\) does not require "
                                         r"grad, so it never gets a gradient"):
        optim.Adam([dc.zeros(3)])


def test_parameter_must_be_floating():
    with pytest.raises(ValueError, match=r"SGD: can only optimize floating-point tensors, got "
                                         r"one of dtype int64"):
        optim.SGD([dc.tensor([1, 2])])


def test_parameter_must_be_a_leaf():
    w = _param()
    with pytest.raises(ValueError, match=r"SGD: can only optimize leaf tensors, got the result "
                                         r"of 'mul'"):
        optim.SGD([w * 2])


def test_parameters_must_be_tensors_in_a_list():
    with pytest.raises(TypeError, match=r"SGD: parameters must be Tensors, got ndarray"):
        optim.SGD([np.zeros(2)])
    with pytest.raises(TypeError, match=r"SGD: params must be a list of Tensors, got a single "
                                        r"Tensor; wrap it in a list"):
        optim.SGD(_param())
    with pytest.raises(TypeError, match=r"SGD: params must be a list, got a set"):
        optim.SGD({_param()})
    with pytest.raises(TypeError, match=r"SGD: params must be a list, got a dict"):
        optim.SGD({"params": [_param()]})
    with pytest.raises(TypeError, match=r"SGD: params mixes Tensors and parameter-group dicts"):
        optim.SGD([_param(), {"params": [_param()]}])


def test_passing_a_model_suggests_its_parameters():
    class Model:
        def parameters(self):
            return [_param()]

    with pytest.raises(TypeError, match=r"got Model; did you mean model.parameters\(\)\?"):
        optim.Adam(Model())


def test_numpy_scalars_become_python_floats():
    opt = optim.Adam([dc.zeros(2, requires_grad=True)], lr=np.float64(0.1),
                     betas=(np.float32(0.5), 0.9))
    group = opt.param_groups[0]
    assert type(group["lr"]) is float and all(type(b) is float for b in group["betas"])
