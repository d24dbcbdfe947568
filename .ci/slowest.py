"""The slowest tests of a CI run, from the JUnit reports the make targets write (test-results/*.xml)."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path


def main(folder: str = "test-results", count: int = 15) -> int:
    cases = []
    for report in sorted(Path(folder).glob("*.xml")):
        for case in ElementTree.parse(report).getroot().iter("testcase"):
            name = f"{case.get('classname', '')}::{case.get('name', '')}"
            cases.append((float(case.get("time") or 0), report.stem, name))
    cases.sort(reverse=True)
    print(f"slowest {min(count, len(cases))} of {len(cases)} tests (seconds, run, test):")
    for seconds, run, name in cases[:count]:
        print(f"{seconds:8.1f}  {run:<16} {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2], *[int(a) for a in sys.argv[2:3]]))
