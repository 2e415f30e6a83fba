"""Data-parallel steps where rank 1 fails at step 3: it raises, or kills itself (SIGKILL).

python train_fault.py raise|kill|hang    (under mpiexec -n N)
"""

import os
import signal
import sys
import time

import numpy as np

import descend as dc


def main(how: str) -> None:
    dp = dc.distributed.DataParallel(timeout=5)
    w = dc.tensor(np.ones(3), requires_grad=True)
    opt = dc.optim.SGD([w], lr=0.1)
    for step in range(10):
        if dp.rank == 1 and step == 3:
            if how == "raise":
                raise ValueError("a bad batch on purpose")
            if how == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(60)  # hang: the others must give up after their timeout
        opt.zero_grad()
        (w * w).sum().backward()
        dp.allreduce_gradients([w])
        opt.step()
    print(f"rank {dp.rank} finished", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
