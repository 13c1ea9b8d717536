"""摇号协议 (the lottery protocol of SPEC §6, ``housing-lottery/v1``).

:mod:`app.allocation.lottery.protocol` is the pure protocol (standard library only: commitment,
canonical pool, seed, ranking) and the published-file bundle; ``scripts/verify_lottery.py`` is
an independent copy of the algorithm that anyone can run on the published files. See
``docs/lottery.md``.
"""
