"""First-call compile time of every Numba kernel module, cold and from the on-disk cache.

    python benchmarks/bench_compile.py

Each kernel module (``evcore.*._kernels``, ``evcore.*._<name>_kernels``) exposes ``warm_up()``, which calls each of its kernels
once on tiny inputs. It is timed in fresh processes sharing a new, empty NUMBA_CACHE_DIR: the
first run compiles and writes the cache (what a user feels once per machine), the second loads
from it (what every later process feels). The import of the module (including numba itself)
is timed separately.
"""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _table import print_table  # noqa: E402

import evcore  # noqa: E402


def kernel_modules() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.walk_packages(evcore.__path__, prefix="evcore.")
        if info.name.endswith("_kernels")
    )


def time_in_fresh_process(module: str, cache_dir: str) -> dict:
    code = textwrap.dedent(
        f"""
        import importlib, json, time
        started = time.perf_counter()
        module = importlib.import_module({module!r})
        imported = time.perf_counter()
        module.warm_up()
        done = time.perf_counter()
        print(json.dumps({{"import": imported - started, "first_call": done - imported}}))
        """
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    rows = []
    for module in kernel_modules():
        with tempfile.TemporaryDirectory(prefix="evcore-numba-cache-") as cache_dir:
            cold = time_in_fresh_process(module, cache_dir)
            warm = time_in_fresh_process(module, cache_dir)
        rows.append([module, cold["import"], cold["first_call"], warm["first_call"],
                     cold["first_call"] / max(warm["first_call"], 1e-9)])
    print_table(
        "Numba first-call time per kernel module (seconds)",
        ["module", "import", "first call, cold (compile)", "first call, cached", "cold / cached"],
        rows,
    )


if __name__ == "__main__":
    main()
