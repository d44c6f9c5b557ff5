"""Time every single-territory command, before and after, in one run, as ratios.

"Before" is the code of a baseline revision (default: the commit before issue 17),
exported with ``git archive`` into a temporary folder; "after" is this checkout. Both run
as the user runs them (``python -m peuplement <command>`` in a fresh process, so imports
count), on the default territory, with the same reference data, one after the other,
``--repeat`` times each; the minimum is kept, since the machine may be shared and slower
runs only measure the neighbours. Each run's wall time and CPU time (user + system of the
child process, :func:`resource.getrusage`) are both reported: on a shared machine the CPU
time is the fair figure, the wall time what a user waits. Both sides are timed with a
warm cache of their own (a separate cache directory each, warmed by one untimed run of
every command: the two code versions have different cache keys and would otherwise evict
each other's entries); the first, cold run of "after" that builds its cache is timed apart.
Python's bytecode is cached as in an installed package (``PYTHONDONTWRITEBYTECODE``
unset; the ``.pyc`` files go to a temporary ``PYTHONPYCACHEPREFIX``, not into the
checkout), so neither side pays for compiling its modules at every run.

Usage::

    python benchmarks/commands.py [--baseline REV] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COMMANDS = {
    "--help": ["--help"],
    "territory": ["territory"],
    "indicators": ["indicators"],
    "lec": ["lec"],
    "map": ["map"],
    "report": ["report"],
}
#: The commit before issue 17 (on main).
DEFAULT_BASELINE = "a7ecc21"


def export_revision(rev: str, folder: Path) -> Path:
    """Write the tree of ``rev`` into ``folder`` (``git archive``) and return it."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", rev],
        check=True,
        capture_output=True,
    ).stdout
    folder.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(
    code: Path, args: list[str], cwd: Path, env: dict[str, str], cache: Path
) -> tuple[float, float]:
    """Run ``python -m peuplement *args`` with ``code`` first on the path.

    Returns the wall time and the CPU time (user + system) of the run, in seconds.
    """
    env = {**env, "PYTHONPATH": str(code), "PEUPLEMENT_CACHE_DIR": str(cache)}
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "peuplement", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    cpu = _children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(args)} failed ({code}):\n{done.stderr.decode('utf-8', 'replace')}"
        )
    return elapsed, cpu


def main() -> None:
    """Print the before / after table (seconds, minimum of the repeats) and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=DEFAULT_BASELINE)
    parser.add_argument("--repeat", type=int, default=3)
    opts = parser.parse_args()
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PEUPLEMENT_DATA_DIR", str(REPO.parent / "shared" / "data"))
    with tempfile.TemporaryDirectory(prefix="peuplement-bench-") as tmp:
        base = Path(tmp)
        env["PYTHONPYCACHEPREFIX"] = str(base / "pycache")
        before_code = export_revision(opts.baseline, base / "before")
        work = base / "work"
        work.mkdir()
        caches = {before_code: base / "cache_before", REPO: base / "cache_after"}
        cold = run_once(REPO, COMMANDS["territory"], work, env, caches[REPO])
        for code, cache in caches.items():  # warm each side's cache (untimed)
            for args in COMMANDS.values():
                run_once(code, args, work, env, cache)
        times: dict[str, dict[Path, list[tuple[float, float]]]] = {
            c: {before_code: [], REPO: []} for c in COMMANDS
        }
        for _ in range(opts.repeat):
            for name, args in COMMANDS.items():
                for code in (before_code, REPO):
                    times[name][code].append(run_once(code, args, work, env, caches[code]))
    print(f"baseline {opts.baseline} vs this checkout; minimum of {opts.repeat} runs; seconds")
    print(
        f"{'command':<12}{'wall before':>12}{'after':>8}{'ratio':>7}"
        f"{'CPU before':>12}{'after':>8}{'ratio':>7}"
    )
    for name, runs in times.items():
        wb, wa = (min(w for w, _ in runs[c]) for c in (before_code, REPO))
        cb, ca = (min(c for _, c in runs[code]) for code in (before_code, REPO))
        print(f"{name:<12}{wb:12.2f}{wa:8.2f}{wa / wb:7.2f}{cb:12.2f}{ca:8.2f}{ca / cb:7.2f}")
    print(
        f"first command with an empty cache (builds it): territory {cold[0]:.2f} s wall, "
        f"{cold[1]:.2f} s CPU"
    )


if __name__ == "__main__":
    main()
