"""Claims on the runs of scheduled jobs, so each runs once per slot however many processes
serve."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, insert
from sqlalchemy.exc import IntegrityError

from tactful.storage import tables as t

# Claims older than this many slots are of no further use; each claim prunes them.
KEEP_SLOTS = 1000


def claim_run(engine: Engine, job: str, slot: int, now: datetime) -> bool:
    """True for the one caller that claims `job`'s run in `slot`; False for every other."""
    try:
        with engine.begin() as conn:
            conn.execute(insert(t.job_runs).values(job=job, slot=slot, claimed_at=now))
            conn.execute(
                delete(t.job_runs).where(
                    t.job_runs.c.job == job, t.job_runs.c.slot < slot - KEEP_SLOTS
                )
            )
    except IntegrityError:
        return False
    return True
