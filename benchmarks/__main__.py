"""Run the benchmark sections: ``python -m benchmarks [section ...]`` (default: all)."""

from __future__ import annotations

import sys
import time

from benchmarks import audit, browser, cache, engine, faults, http, indexes, metrics, report, signin

SECTIONS = {
    "engine": engine.run,
    "cache": cache.run,
    "metrics": metrics.run,
    "seeding": indexes.seeding,
    "indexes": indexes.run,
    "http": http.run,
    "signin": signin.run,
    "faults": faults.run,
    "report": report.run,
    "audit": audit.run,
    "browser": browser.run,
}


def main(argv: list[str]) -> int:
    chosen = argv or list(SECTIONS)
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        print(f"unknown section(s): {', '.join(unknown)}; choose from {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    for name in chosen:
        SECTIONS[name]()
    print(f"\nbenchmarks done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
