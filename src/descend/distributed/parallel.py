"""Synchronous data-parallel training over MPI, Horovod style: ``DataParallel``.

Every rank (process) holds the whole model. Each step, every rank takes its own disjoint shard
of the same global batch, computes its gradients, and the ranks sum their weighted gradients
with ``Allreduce``, so that every rank applies the gradient of the whole batch and the weights
stay equal everywhere. Start it with ``mpiexec -n 4 python train.py``::

    dp = dc.distributed.DataParallel()          # MPI.COMM_WORLD
    dp.broadcast_parameters(model.parameters())  # rank 0's initial weights everywhere
    for batch in batches:                        # the same global batches on every rank
        rows = dp.shard(batch)                   # this rank's part
        opt.zero_grad()
        loss_fn(y[rows], model(x[rows])).backward()
        dp.allreduce_gradients(model.parameters())
        opt.step()

Why weighted: with a mean loss, rank r's gradient is the mean over its ``b_r`` rows; the whole
batch's gradient is ``Σ_r (b_r / B) · g_r``. Each rank scales its gradients by ``b_r / B``
before the sum, which keeps an uneven last batch (or a rank with no rows) exact.

Gradients travel in a few large flat buffers (one per dtype, split at ``bucket_bytes``), not
one call per tensor. Collectives wait at most ``timeout`` seconds: a rank that was killed or
hangs makes the others raise :class:`RankFailedError` instead of waiting forever. An exception on
any rank prints which rank failed and aborts every rank (``MPI.Abort``).

BatchNorm's batch statistics are each rank's own (not synchronised): with it, N ranks are close
to, not equal to, one process. Dropout masks differ between ranks for the same reason.
"""

from __future__ import annotations

import dataclasses
import sys
import time
import traceback
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from descend.tensors import Tensor

WHERE = "DataParallel"
BUCKET_BYTES = 16 * 2**20
"""Gradients are packed into flat buffers of at most this many bytes (one buffer when a model
is smaller): few large messages instead of one per tensor."""


ABORT_GRACE = 0.5
"""Seconds between printing which rank failed and aborting every rank: ``mpiexec`` forwards a
rank's output asynchronously, and an abort can drop what it has not forwarded yet."""


class RankFailedError(RuntimeError):
    """Another rank stopped answering: a collective got no reply within the timeout."""


def _mpi() -> Any:
    try:
        from mpi4py import MPI
    except ImportError:
        raise ImportError(f"{WHERE} needs mpi4py and an MPI library: pip install "
                          "'descend[distributed]' (brings mpi4py and the mpich wheel, with "
                          "mpiexec)") from None
    return MPI


class DataParallel:
    """Data-parallel training over the ranks of an MPI communicator.

    Args:
        comm: an ``mpi4py`` communicator (default ``MPI.COMM_WORLD``).
        timeout: seconds a collective may wait for the other ranks before :class:`RankFailedError`.
        bucket_bytes: the largest flat buffer of gradients sent in one ``Allreduce``.
        abort_on_error: on an uncaught exception, print the failing rank and abort every rank
            (otherwise the others would wait for it until the timeout).

    Run as one process (no ``mpiexec``) it is a world of size 1 and changes nothing.

    >>> dp = DataParallel()
    >>> dp.rank, dp.size, dp.is_chief
    (0, 1, True)
    >>> dp.shard(np.arange(5))
    array([0, 1, 2, 3, 4])
    """

    def __init__(self, comm: Any = None, *, timeout: float = 30.0,
                 bucket_bytes: int = BUCKET_BYTES, abort_on_error: bool = True) -> None:
        self.MPI = _mpi()
        self.comm = self.MPI.COMM_WORLD if comm is None else comm
        self.rank: int = self.comm.Get_rank()
        self.size: int = self.comm.Get_size()
        if not timeout > 0:
            raise ValueError(f"{WHERE}: timeout must be positive seconds, got {timeout!r}")
        if isinstance(bucket_bytes, bool) or not isinstance(bucket_bytes, int) or \
                bucket_bytes < 1024:
            raise ValueError(f"{WHERE}: bucket_bytes must be an integer of at least 1024, got "
                             f"{bucket_bytes!r}")
        self.timeout = float(timeout)
        self.bucket_bytes = bucket_bytes
        self.weight = 1.0 / self.size
        """This rank's share of the current global batch (set by :meth:`shard`)."""
        self.allreduce_seconds = 0.0
        """Time spent in gradient allreduces so far (for benchmarks)."""
        self._hook: Any = None
        if abort_on_error and self.size > 1:
            _install_abort_hook(self)
        # a failed peer makes collectives raise here (then named below), not abort in MPI
        self.comm.Set_errhandler(self.MPI.ERRORS_RETURN)

    def __repr__(self) -> str:
        return f"DataParallel(rank={self.rank}, size={self.size})"

    @property
    def is_chief(self) -> bool:
        """Whether this is rank 0: the one that prints, shows progress and writes files."""
        return self.rank == 0

    def shard(self, batch: Sequence[int] | np.ndarray) -> np.ndarray:
        """This rank's disjoint part of a global batch of row indices (ranks in order, the
        first ``len(batch) % size`` ranks one row more), and its share as :attr:`weight`."""
        batch = np.asarray(batch)
        if batch.ndim != 1:
            raise ValueError(f"{WHERE}.shard: expected a 1-D array of row indices, got shape "
                             f"{batch.shape}")
        part = np.array_split(batch, self.size)[self.rank]
        self.weight = len(part) / len(batch) if len(batch) else 0.0
        return part

    def broadcast_parameters(self, params: Iterable[Tensor], root: int = 0) -> None:
        """Copy rank ``root``'s parameter values into every rank's parameters, in place."""
        for param in params:
            data = param.data
            if not data.flags.c_contiguous:
                raise ValueError(f"{WHERE}: parameter of shape {data.shape} is not contiguous")
            self._wait(self.comm.Ibcast(data, root=root), "broadcast of the initial weights")

    def allreduce_gradients(self, params: Iterable[Tensor], weight: float | None = None) -> None:
        """Replace each parameter's gradient by the weighted sum over ranks of its gradient.

        Args:
            params: the parameters, in the same order on every rank.
            weight: this rank's share of the global batch (default :attr:`weight`, set by
                :meth:`shard`). A parameter without a gradient counts as a zero gradient.
        """
        params = [p for p in params if p.requires_grad]
        scale = self.weight if weight is None else float(weight)
        if self.size == 1 and scale == 1.0:
            return  # one process: the gradients already are the batch's
        start = time.perf_counter()
        for bucket in _buckets(params, self.bucket_bytes):
            flat = np.concatenate([_flat_grad(p) for p in bucket]) * scale
            self._wait(self.comm.Iallreduce(self.MPI.IN_PLACE, flat, op=self.MPI.SUM),
                       "gradient allreduce")
            offset = 0
            for p in bucket:
                size = p.data.size
                p.grad = Tensor(flat[offset:offset + size].reshape(p.data.shape),
                                dtype=p.data.dtype)
                offset += size
        self.allreduce_seconds += time.perf_counter() - start

    def sum(self, values: Sequence[float] | np.ndarray) -> np.ndarray:
        """The element-wise sum over ranks of a few float64 values (metric totals, counts).

        >>> DataParallel().sum([1.0, 2.0])
        array([1., 2.])
        """
        array = np.array(values, dtype=np.float64)
        self._wait(self.comm.Iallreduce(self.MPI.IN_PLACE, array, op=self.MPI.SUM),
                   "sum over ranks")
        return array

    def maximum(self, value: float) -> float:
        """The largest ``value`` over ranks.

        >>> DataParallel().maximum(3)
        3.0
        """
        array = np.array([value], dtype=np.float64)
        self._wait(self.comm.Iallreduce(self.MPI.IN_PLACE, array, op=self.MPI.MAX),
                   "maximum over ranks")
        return float(array[0])

    def broadcast_int(self, value: int, root: int = 0) -> int:
        """Rank ``root``'s integer on every rank (a seed every rank must share).

        >>> DataParallel().broadcast_int(7)
        7
        """
        array = np.array([value], dtype=np.int64)
        self._wait(self.comm.Ibcast(array, root=root), "broadcast of a number")
        return int(array[0])

    def any(self, flag: bool) -> bool:
        """Whether ``flag`` is true on any rank: a stop decided anywhere stops every rank.

        >>> DataParallel().any(False)
        False
        """
        return bool(self.sum([1.0 if flag else 0.0])[0] > 0)

    # ------------------------------------------------------------------ optimizers
    def distribute_optimizer(self, optimizer: Any) -> Any:
        """Make ``optimizer.step()`` first sum the gradients of its parameters over ranks
        (Horovod's ``DistributedOptimizer``); returns the optimizer.

        >>> import descend as dc
        >>> w = dc.tensor([1.0], requires_grad=True)
        >>> opt = DataParallel().distribute_optimizer(dc.optim.SGD([w], lr=0.5))
        >>> (w * 2).sum().backward(); opt.step(); w
        tensor([0.], requires_grad=True)
        """
        params = [p for group in optimizer.param_groups for p in group["params"]]
        self._hook = optimizer.register_step_pre_hook(
            lambda _: self.allreduce_gradients(params))
        return optimizer

    # ------------------------------------------------------------ model.fit(distribute=)
    def begin_fit(self, model: Any, optimizer: Any, metrics: Sequence[Any], seed: int) -> int:
        """Called by ``fit``: rank 0's weights and seed everywhere, gradients summed at every
        step; returns the seed every rank shuffles with."""
        from descend.distributed.metric_sums import check_combinable

        check_combinable(metrics, "fit(distribute=...)")
        self.broadcast_parameters(model.parameters())
        self.distribute_optimizer(optimizer)
        return self.broadcast_int(seed)

    def end_fit(self) -> None:
        """Called by ``fit`` when it ends: the optimizer steps alone again."""
        hook, self._hook = self._hook, None
        if hook is not None:
            hook.remove()

    def callbacks_here(self, callbacks: Sequence[Any]) -> list[Any]:
        """The callbacks this rank runs: all on rank 0; on the others, all but those that
        print or write files (``chief_only``)."""
        return [c for c in callbacks if self.is_chief or not getattr(c, "chief_only", False)]

    def settings_here(self, settings: Any) -> Any:
        """``fit``'s settings for this rank: only rank 0 shows progress."""
        return settings if self.is_chief else dataclasses.replace(settings, verbose=0)

    def shard_batch(self, batch: Sequence[Any]) -> tuple[Any, ...]:
        """This rank's rows of a batch ``(x, y, sample_weight)`` (see :meth:`shard`)."""
        rows = self.shard(np.arange(len(batch[0])))
        return tuple(None if part is None else part[rows] for part in batch)

    def step_without_rows(self, optimizer: Any) -> None:
        """The step of a rank whose share of the batch is empty: no gradient of its own, the
        sum of the others'."""
        optimizer.zero_grad()
        optimizer.step()

    def combine_epoch(self, total: float, count: int, metrics: Sequence[Any]
                      ) -> tuple[float, int]:
        """The epoch's loss sum and row count over every rank; the metrics combined too."""
        from descend.distributed.metric_sums import combine

        combine(metrics, self)
        total, count = self.sum([total, count])
        return float(total), int(count)

    def _wait(self, request: Any, what: str) -> None:
        """Complete a non-blocking collective, or raise RankFailedError after ``timeout`` s
        naming the ranks that do not answer."""
        deadline = time.monotonic() + self.timeout
        polls = 0
        while not self._test(request, what):
            polls += 1
            if polls > 1000:
                time.sleep(1e-4)
                self._answer_pings()
            if time.monotonic() > deadline:
                silent = ", ".join(map(str, self._silent_ranks())) or "none (all answer pings)"
                raise RankFailedError(
                    f"{WHERE}: rank {self.rank} of {self.size} waited {self.timeout:g} s for "
                    f"the {what}; ranks that do not answer: {silent} (killed, crashed or "
                    "stuck)")

    def _test(self, request: Any, what: str) -> bool:
        """Whether the collective is done; a RankFailedError naming the silent ranks when MPI
        reports a failed peer."""
        try:
            return request.Test()
        except self.MPI.Exception as error:
            silent = ", ".join(map(str, self._silent_ranks())) or "unknown"
            raise RankFailedError(
                f"{WHERE}: rank {self.rank} of {self.size}: the {what} failed "
                f"({error.Get_error_string().strip()}); ranks that do not answer: {silent} "
                "(killed or crashed)") from None

    def _answer_pings(self) -> None:
        """Reply to every rank that asks whether this one is alive."""
        status = self.MPI.Status()
        while self.comm.Iprobe(source=self.MPI.ANY_SOURCE, tag=_PING, status=status):
            self.comm.recv(source=status.Get_source(), tag=_PING)
            self.comm.send(self.rank, dest=status.Get_source(), tag=_PONG)

    def _silent_ranks(self, wait: float = 2.0) -> list[int]:
        """The other ranks that do not answer a ping within ``wait`` seconds."""
        others = [r for r in range(self.size) if r != self.rank]
        for rank in others:
            self.comm.isend(None, dest=rank, tag=_PING)
        replies = {rank: self.comm.irecv(source=rank, tag=_PONG) for rank in others}
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and not all(r.Test() for r in replies.values()):
            self._answer_pings()
            time.sleep(1e-3)
        return [rank for rank, reply in replies.items() if not reply.Test()]


_PING, _PONG = 31001, 31002
"""Message tags of the liveness check that names a silent rank."""


def _flat_grad(param: Tensor) -> np.ndarray:
    if param.grad is None:
        return np.zeros(param.data.size, dtype=param.data.dtype)
    return np.ravel(param.grad.data).astype(param.data.dtype, copy=False)


def _buckets(params: list[Tensor], limit: int) -> list[list[Tensor]]:
    """Parameters grouped by dtype, in order, each group cut at ``limit`` bytes."""
    buckets: dict[np.dtype, list[list[Tensor]]] = {}
    for p in params:
        groups = buckets.setdefault(p.data.dtype, [[]])
        if groups[-1] and sum(q.data.nbytes for q in groups[-1]) + p.data.nbytes > limit:
            groups.append([])
        groups[-1].append(p)
    return [bucket for groups in buckets.values() for bucket in groups]


def _install_abort_hook(dp: DataParallel) -> None:
    """On an uncaught exception: say which rank failed, then abort every rank."""
    previous = sys.excepthook

    def abort(kind: type[BaseException], error: BaseException, tb: Any) -> None:
        text = "".join(traceback.format_exception(kind, error, tb))
        print(f"descend.distributed: rank {dp.rank} of {dp.size} failed; aborting every "
              f"rank.\n{text}", file=sys.stderr, flush=True)
        time.sleep(ABORT_GRACE)  # mpiexec forwards output asynchronously: let this line out
        try:
            dp.comm.Abort(1)
        finally:
            previous(kind, error, tb)

    sys.excepthook = abort
