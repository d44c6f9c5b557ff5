"""Time every single-territory command, before and after, in one run, as ratios.

"Before" is the code of a baseline revision (default: the commit before issue 17),
exported with ``git archive`` into a temporary folder; "after" is this checkout. Both run
as the user runs them (``python -m peuplement <command>`` in a fresh process, so imports
count), on the default territory, with the same reference data, one after the other,
``--repeat`` times each; the minimum is kept, since the machine may be shared and slower
runs only measure the neighbours. "After" is timed with a warm cache of the national
tables (the user's case from the second command on); the first, cold run that builds the
cache is timed apart.

Usage::

    python benchmarks/commands.py [--baseline REV] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COMMANDS = {
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


def run_once(code: Path, args: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Run ``python -m peuplement *args`` with ``code`` first on the path; return seconds."""
    env = {**env, "PYTHONPATH": str(code)}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "peuplement", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(args)} failed ({code}):\n{done.stderr.decode('utf-8', 'replace')}"
        )
    return elapsed


def main() -> None:
    """Print the before / after table (seconds, minimum of the repeats) and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=DEFAULT_BASELINE)
    parser.add_argument("--repeat", type=int, default=3)
    opts = parser.parse_args()
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.setdefault("PEUPLEMENT_DATA_DIR", str(REPO.parent / "shared" / "data"))
    with tempfile.TemporaryDirectory(prefix="peuplement-bench-") as tmp:
        base = Path(tmp)
        before_code = export_revision(opts.baseline, base / "before")
        work = base / "work"
        work.mkdir()
        env["PEUPLEMENT_CACHE_DIR"] = str(base / "cache")
        cold = run_once(REPO, COMMANDS["territory"], work, env)
        times: dict[str, tuple[list[float], list[float]]] = {c: ([], []) for c in COMMANDS}
        for _ in range(opts.repeat):
            for name, args in COMMANDS.items():
                times[name][0].append(run_once(before_code, args, work, env))
                times[name][1].append(run_once(REPO, args, work, env))
    print(f"baseline {opts.baseline} vs this checkout; minimum of {opts.repeat} runs; seconds")
    print(f"{'command':<12}{'before':>9}{'after':>9}{'after/before':>14}")
    for name, (before, after) in times.items():
        b, a = min(before), min(after)
        print(f"{name:<12}{b:9.2f}{a:9.2f}{a / b:14.2f}")
    print(f"first command with an empty cache (builds it): territory {cold:.2f} s")


if __name__ == "__main__":
    main()
