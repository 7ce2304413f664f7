"""How long rolling the member baseline out takes, by organization size: a small model of the
StackSet operation under the operation preferences in stacks/management.py.

``python bench/scale_model.py [--minutes-per-instance 3] [--regions 2]`` prints a Markdown table
for 10, 100, 500 and 2,000 accounts. docs/scale.md explains the model and quotes its output.

Model (CloudFormation's documented semantics):
- regions run in parallel (RegionConcurrencyType PARALLEL), so the operation takes as long as one
  region;
- in a region, the default STRICT_FAILURE_TOLERANCE concurrency mode runs
  min(MaxConcurrentPercentage of N, FailureTolerancePercentage of N + 1) accounts at once, both
  percentages rounded down, at least 1;
- each wave takes one stack-instance time (create or update of the baseline in one account).
Automatic deployment to accounts that join later ignores the operation preferences.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence

from stacks.management import OPERATION_PREFERENCES

MAX_CONCURRENT_PERCENTAGE = int(OPERATION_PREFERENCES.max_concurrent_percentage or 100)
FAILURE_TOLERANCE_PERCENTAGE = int(OPERATION_PREFERENCES.failure_tolerance_percentage or 0)


def concurrency(accounts: int) -> int:
    by_concurrency = accounts * MAX_CONCURRENT_PERCENTAGE // 100
    by_tolerance = accounts * FAILURE_TOLERANCE_PERCENTAGE // 100 + 1
    return max(1, min(by_concurrency, by_tolerance))


def rollout(accounts: int, regions: int, minutes_per_instance: float) -> dict[str, float]:
    per_region = concurrency(accounts)
    waves = math.ceil(accounts / per_region)
    return {
        "accounts": accounts,
        "stack instances": accounts * regions,
        "accounts at once per region": per_region,
        "waves": waves,
        "minutes": waves * minutes_per_instance,
        "tolerated failures per region": accounts * FAILURE_TOLERANCE_PERCENTAGE // 100,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--minutes-per-instance", type=float, default=3.0)
    parser.add_argument("--regions", type=int, default=2)
    args = parser.parse_args(argv)
    rows = [rollout(n, args.regions, args.minutes_per_instance) for n in (10, 100, 500, 2000)]
    columns = list(rows[0])
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(f"{row[c]:g}" for c in columns) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
