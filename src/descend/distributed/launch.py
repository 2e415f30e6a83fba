"""Starting ``mpiexec`` from a command: ``descend demo mnist --workers 2`` runs itself on 2 ranks.

:func:`run_on_ranks` starts ``mpiexec -n N python -m descend.cli ARGS`` (the ``mpiexec`` beside
this Python, as the mpich wheel installs it, else the one on ``PATH``) with one BLAS thread per
rank unless the environment already sets one, waits for it, and returns its exit status. The
ranks it starts see :data:`LAUNCHED` in their environment, so the same command knows it is one
of them (:func:`launched`) and does not start another ``mpiexec``.

>>> launched()
False
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

LAUNCHED = "DESCEND_MPI_LAUNCHED"
"""Set to ``1`` in the environment of the ranks that :func:`run_on_ranks` starts."""


def launched() -> bool:
    """Whether this process is a rank started by :func:`run_on_ranks`."""
    return os.environ.get(LAUNCHED) == "1"


def find_mpiexec() -> str:
    """The ``mpiexec`` to use, or a FileNotFoundError saying how to get one."""
    found = shutil.which("mpiexec", path=str(Path(sys.executable).parent)) or \
        shutil.which("mpiexec")
    if found is None:
        raise FileNotFoundError("--workers needs mpiexec: pip install 'descend[distributed]' "
                                "(the mpich wheel brings it) or install an MPI library")
    return found


def run_on_ranks(workers: int, cli_args: Sequence[str]) -> int:
    """Run ``descend CLI_ARGS`` on ``workers`` MPI ranks; returns mpiexec's exit status."""
    env = {**os.environ, LAUNCHED: "1"}
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, "1")
    mpiexec = find_mpiexec()
    command = [mpiexec, *_keep_going(mpiexec), "-n", str(workers), sys.executable, "-m",
               "descend.cli", *cli_args]
    return subprocess.run(command, env=env, check=False).returncode


def _keep_going(mpiexec: str) -> list[str]:
    """MPICH's ``-disable-auto-cleanup``: when a rank is killed, the others live on long enough
    to name it (their collectives time out) before they abort, instead of being killed at once
    by mpiexec without a word about which rank died."""
    try:
        version = subprocess.run([mpiexec, "--version"], capture_output=True, text=True,
                                 timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return ["-disable-auto-cleanup"] if "HYDRA" in version else []
