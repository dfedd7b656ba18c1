"""Run every benchmark of the harness in turn: ``python -m benchmarks [--quick] [NAME ...]``.

``--quick`` (what ``scripts/test`` runs in CI) uses a small N everywhere, so the benchmarks
cannot rot; their figures then say little. Without it, each runs at its full size (minutes
each; the map at 1,000,000 sites is ``python -m benchmarks.web --sites 1000000``).
"""

from __future__ import annotations

import sys
import time

from benchmarks import coverage, export, imports, ogcapi, postgis, web

BENCHMARKS = {"web": web, "ogcapi": ogcapi, "coverage": coverage, "export": export, "imports": imports,
              "postgis": postgis}


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    only = [a for a in argv if a in BENCHMARKS]
    argv = [a for a in argv if a not in BENCHMARKS]
    failed = []
    for name, module in BENCHMARKS.items():
        if only and name not in only:
            continue
        t0 = time.perf_counter()
        print(f"\n=== benchmarks.{name} {' '.join(argv)}", flush=True)
        try:
            if module.main(argv) != 0:
                failed.append(name)
        except Exception as e:  # noqa: BLE001 - report it and run the others
            print(f"benchmarks.{name} failed: {type(e).__name__}: {e}", flush=True)
            failed.append(name)
        print(f"=== benchmarks.{name}: {time.perf_counter() - t0:.0f} s", flush=True)
    if failed:
        print(f"benchmarks that failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
