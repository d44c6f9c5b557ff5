"""National-scale benchmark: every EPCI of France in one run, on one machine.

Generates a national-size synthetic input with the official schemas (5.2 million
RPLS dwellings through ``peuplement.synth.synth_rpls_france``, 400,000 attributions),
then times each stage (wall time, CPU time, peak resident memory) and the same stage
done the naive way (pandas ``read_csv`` of everything, ``geopandas.sjoin``) in the same
run. Run: ``python benchmarks/national.py [--dwellings N] [--workdir DIR]``.
Not part of the unit tests.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from peuplement import load_qpv, load_rpls
from peuplement.france import indicators_france, lec_france
from peuplement.geo import assign_xy
from peuplement.io.national import ingest_rpls
from peuplement.lec import read_official
from peuplement.synth import synth_rpls_france

ROWS: list[tuple[str, float, float, float]] = []


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return float("nan")


@contextmanager
def stage(name: str):
    peak = [rss_mb()]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb())
            time.sleep(0.02)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    done.set()
    thread.join()
    ROWS.append((name, wall, cpu, peak[0]))
    print(f"{name:<55} {wall:8.2f} s wall {cpu:8.2f} s CPU  peak {peak[0]:8,.0f} MB", flush=True)


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dwellings", type=int, default=5_200_000)
    parser.add_argument("--attributions", type=int, default=400_000)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="peuplement-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    csv_path, parquet = work / "rpls_national.csv", work / "rpls_national.parquet"

    t = time.perf_counter()
    rpls = synth_rpls_france(args.dwellings, seed=0)
    table = pa.Table.from_pandas(rpls, preserve_index=False)
    pacsv.write_csv(table, csv_path, pacsv.WriteOptions(delimiter=";"))
    print(
        f"synthetic input: {len(rpls):,} dwellings, {rpls['DEPCOM'].nunique():,} communes, "
        f"{rpls['BAILLEUR'].nunique()} landlords, {rpls['QPV'].notna().mean():.1%} in QPV; "
        f"CSV {csv_path.stat().st_size / 1e9:.2f} GB ({time.perf_counter() - t:.0f} s)\n"
    )
    attributions = synthetic_attributions(rpls, args.attributions)
    del table

    with stage("1. ingest RPLS CSV -> Parquet (DuckDB)"):
        report = ingest_rpls(csv_path, parquet, millesime=2024)
    print(f"   {report.summary()}")
    with stage("1'. naive: pandas loader, same rules, + to_parquet"):
        naive, naive_report = load_rpls(csv_path, millesime=2024)
        naive.to_parquet(work / "naive.parquet")
        del naive
    with stage("1''. bare pandas.read_csv of everything, no checks"):
        bare = pd.read_csv(csv_path, sep=";", dtype=str)
        del bare

    qpv, _ = load_qpv()
    total = time.perf_counter()
    with stage("2. indicators: all communes, landlords, EPCI (Parquet)"):
        tables = indicators_france(parquet)
    with stage("3. point-in-QPV of every dwelling (grid + contains_xy)"):
        xy = pd.read_parquet(parquet, columns=["x", "y"])
        fast = assign_xy(xy["x"].to_numpy(), xy["y"].to_numpy(), qpv, key="code_qpv")
    fast_s = ROWS[-1][1]
    with stage("4. LEC objectives, every EPCI, official thresholds"):
        seuils = read_official(None)
        lec, left_out = lec_france(attributions, seuils, annee=2026)
    pipeline = time.perf_counter() - total
    with stage("3'. naive: points_from_xy + geopandas.sjoin"):
        points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy["x"], xy["y"]), crs=2154)
        joined = gpd.sjoin(points, qpv[["code_qpv", "geometry"]], how="left", predicate="within")
    naive_s = ROWS[-1][1]
    joined = joined[~joined.index.duplicated()]
    agree = (
        pd.Series(fast).fillna("-").to_numpy() == joined["code_qpv"].fillna("-").to_numpy()
    ).mean()

    n = len(xy)
    print()
    print(
        f"whole pipeline from Parquet (stages 2-4): {pipeline:.1f} s wall; peak {max(r[3] for r in ROWS[3:6]):,.0f} MB"
    )
    print(
        f"point-in-QPV: {n / fast_s / 1e6:.2f} M points/s, sjoin {n / naive_s / 1e6:.2f} M points/s "
        f"-> {naive_s / fast_s:.1f}x faster; same QPV for {agree:.4%} of points"
    )
    print(
        f"ingest: DuckDB {ROWS[0][1]:.1f} s vs pandas loader with the same rules {ROWS[1][1]:.1f} s "
        f"({ROWS[1][1] / ROWS[0][1]:.1f}x) vs bare read_csv {ROWS[2][1]:.1f} s; peak {ROWS[0][3]:,.0f} vs {ROWS[1][3]:,.0f} MB"
    )
    print(
        f"outputs: {len(tables['commune']):,} communes, {len(tables['bailleur']):,} landlord x EPCI rows, "
        f"{len(tables['epci']):,} EPCI; LEC rows {len(lec):,}, attributions outside LEC-bound EPCIs {len(left_out):,}"
    )


if __name__ == "__main__":
    main()
