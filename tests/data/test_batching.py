"""Batch indices: coverage, sizes and reproducible shuffles (the contract the trainer uses)."""

from __future__ import annotations

import numpy as np
import pytest

import descend as dc
from descend.data import as_generator, batch_indices, num_batches, sample_order


@pytest.mark.parametrize(("n", "batch_size"), [(1, 1), (5, 2), (10, 5), (7, 10), (333, 40)])
@pytest.mark.parametrize("shuffle", [False, True])
def test_every_sample_once_in_batches_of_the_right_size(n, batch_size, shuffle):
    batches = list(batch_indices(n, batch_size, shuffle=shuffle, seed=3))
    assert len(batches) == num_batches(n, batch_size) == -(-n // batch_size)
    assert all(len(b) == batch_size for b in batches[:-1])
    assert len(batches[-1]) == n - batch_size * (len(batches) - 1)  # partial batch kept
    assert sorted(np.concatenate(batches).tolist()) == list(range(n))
    if not shuffle:
        assert np.concatenate(batches).tolist() == list(range(n))


def test_drop_last_skips_only_the_partial_batch():
    batches = list(batch_indices(10, 4, drop_last=True))
    assert [b.tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert num_batches(10, 4, drop_last=True) == 2
    assert list(batch_indices(3, 4, drop_last=True)) == []
    assert len(list(batch_indices(8, 4, drop_last=True))) == 2


def test_int_seed_and_epoch_fix_the_order():
    first = sample_order(50, shuffle=True, seed=7, epoch=2)
    again = sample_order(50, shuffle=True, seed=7, epoch=2)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first, np.random.default_rng([7, 2]).permutation(50))
    assert not np.array_equal(first, sample_order(50, shuffle=True, seed=7, epoch=3))
    assert not np.array_equal(first, sample_order(50, shuffle=True, seed=8, epoch=2))


def test_resuming_at_epoch_k_repeats_an_uninterrupted_run():
    def run(epochs):
        return [np.concatenate(list(batch_indices(20, 6, shuffle=True, seed=11, epoch=e)))
                for e in epochs]

    uninterrupted = run(range(5))
    resumed = run(range(3, 5))  # a fresh process that starts at epoch 3
    for a, b in zip(uninterrupted[3:], resumed):
        np.testing.assert_array_equal(a, b)
    assert len({tuple(order) for order in uninterrupted}) == 5  # a new order every epoch


def test_a_generator_carries_the_sequence_and_its_saved_state_resumes_it():
    gen = np.random.default_rng(5)
    orders = [sample_order(30, shuffle=True, seed=gen) for _ in range(2)]
    saved = gen.bit_generator.state
    third = sample_order(30, shuffle=True, seed=gen)
    assert not np.array_equal(orders[0], orders[1])
    restored = np.random.default_rng()
    restored.bit_generator.state = saved
    np.testing.assert_array_equal(sample_order(30, shuffle=True, seed=restored), third)


def test_seed_none_draws_from_descend_rng():
    dc.seed(123)
    a = sample_order(40, shuffle=True)
    dc.seed(123)
    b = sample_order(40, shuffle=True)
    np.testing.assert_array_equal(a, b)
    dc.seed(123)
    assert dc.backend.rng() is as_generator(None)


def test_shuffle_permutes():
    order = sample_order(100, shuffle=True, seed=0)
    assert sorted(order.tolist()) == list(range(100))
    assert order.tolist() != list(range(100))


def test_arguments_are_checked_when_called_not_when_iterated():
    with pytest.raises(ValueError, match=r"batches: batch_size must be a positive integer .*got 0"):
        batch_indices(5, 0)
    with pytest.raises(ValueError, match=r"got -3"):
        batch_indices(5, -3)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True, "4"])
def test_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match=r"batch_size must be a positive integer"):
        num_batches(5, batch_size)


def test_bad_seed_and_epoch():
    with pytest.raises(TypeError, match=r"seed must be None, a non-negative int or a "
                                        r"np.random.Generator, got float"):
        as_generator(1.5)
    with pytest.raises(ValueError, match=r"seed must be a non-negative integer, got -1"):
        as_generator(-1)
    with pytest.raises(ValueError, match=r"epoch must be a non-negative integer, got -1"):
        sample_order(4, shuffle=True, seed=0, epoch=-1)
    with pytest.raises(ValueError, match=r"epoch=2 only applies to an int seed"):
        sample_order(4, shuffle=True, seed=np.random.default_rng(0), epoch=2)
    with pytest.raises(ValueError, match=r"epoch=1 only applies to an int seed"):
        sample_order(4, shuffle=True, epoch=1)
