"""Run every benchmark of bench/ and print one table."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import bench


def main() -> int:
    modules = sorted(name for _, name, _ in pkgutil.iter_modules(bench.__path__) if name.startswith("bench_"))
    selected = sys.argv[1:]
    results = []
    for name in modules:
        if selected and name not in selected:
            continue
        print(f"… {name}", file=sys.stderr)
        results.extend(importlib.import_module(f"bench.{name}").run())
    if not results:
        print("Aucun benchmark dans bench/.")
        return 0
    header = f"{'benchmark':<28} {'mesure':<36} {'valeur':>12} {'réf. nue':>12} {'ratio':>7}  objectif"
    print(header)
    print("-" * len(header))
    for r in results:
        baseline = f"{r.baseline:.3f}" if r.baseline is not None else "—"
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "—"
        value = f"{r.value:>10.3f}{r.unit:>2}"
        print(f"{r.benchmark:<28} {r.measure:<36} {value} {baseline:>12} {ratio:>7}  {r.target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
