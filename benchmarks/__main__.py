"""`make bench`: runs each benchmark module in its own process and prints its figures.
`python -m benchmarks git skills_zip` runs only the named ones (`bench_<name>.py`).

Each benchmark configures Django for itself (its own database and storage), so they cannot share
one interpreter.
"""

import pkgutil
import subprocess
import sys
from pathlib import Path


def main() -> int:
    package = Path(__file__).parent
    names = sorted(
        module.name
        for module in pkgutil.iter_modules([str(package)])
        if module.name.startswith("bench_")
        and (len(sys.argv) < 2 or module.name.removeprefix("bench_") in sys.argv[1:])
    )
    failed = []
    for name in names:
        print(f"== {name}", flush=True)
        code = f"import benchmarks.{name} as bench; bench.run()"
        if subprocess.run([sys.executable, "-c", code], cwd=package.parent).returncode:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
