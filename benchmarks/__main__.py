"""`make bench`: runs every benchmark module and prints its figures."""

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    package = Path(__file__).parent
    names = sorted(
        m.name for m in pkgutil.iter_modules([str(package)]) if m.name.startswith("bench_")
    )
    if not names:
        print("No benchmarks yet.")
    for name in names:
        print(f"== {name}")
        importlib.import_module(f"benchmarks.{name}").run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
