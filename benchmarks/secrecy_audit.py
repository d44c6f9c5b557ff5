"""Cost of statistical secrecy: protection and audit on the default territory and nationally.

Times, in the same run, the computation of the unmasked tables (the baseline) and then
the joint protection (primary + LP-audited secondary suppression) and the audit alone,
and prints the share of published counts masked. The national part draws synthetic
attributions over a synthetic national RPLS (``benchmarks/national.py``) and runs
:func:`peuplement.france.lec_france` (EPCI and commune levels, each EPCI with its own
official thresholds), unmasked then protected and audited.

Run: ``python benchmarks/secrecy_audit.py [--dwellings N] [--attributions N]``.
Not part of the unit tests.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from peuplement import lec, secrecy
from peuplement.france import _with_epci, lec_france
from peuplement.synth import synth_default, synth_rpls_france

sys.path.insert(0, str(Path(__file__).parent))
from national import synthetic_attributions  # noqa: E402


def masked_share(tables: dict[str, pd.DataFrame]) -> tuple[int, int]:
    """Masked and total published household counts of a set of tables."""
    cells = []
    for t in tables.values():
        cells += [t[c] for c in ("numerateur", "denominateur", "nb_attributions") if c in t]
    counts = pd.concat(cells)
    return int(counts.isna().sum()), len(counts)


def timed(label: str, func, baseline: float | None = None):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    out = func()
    wall = time.perf_counter() - start
    ratio = f"  ({wall / baseline:,.1f} × the unmasked tables)" if baseline else ""
    print(f"{label:<58} {wall:8.2f} s{ratio}", flush=True)
    return out, wall


def default_territory() -> None:
    demandes, att = synth_default(annee=2026)
    th = lec.thresholds("245901152", 2026, official=lec.read_official(None), demandes=demandes)
    c = lec.classify(att, q1=th.q1, q2=th.q2, q3=th.q3, annee=2026)

    def raw() -> dict[str, pd.DataFrame]:
        return {
            "lec": lec.lec_indicators(c, annee=2026, siren="245901152", secret=False),
            "quartiles": lec.quartile_distribution(c, secret=False),
        }

    print("Default territory (Cœur d'Ostrevent, synthetic attributions)")
    tables, base = timed("unmasked LEC + quartile tables (baseline)", raw)
    # Before: the single-table rule (primary on denominators, secondary within each
    # level × objective), which the audit showed leaking.
    before = secrecy.apply_secrecy(
        tables["lec"],
        count="denominateur",
        masked=["numerateur", "denominateur"],
        groups=["niveau", "objectif"],
    )
    m0, n0 = masked_share({"lec": before})
    os.environ["PEUPLEMENT_CACHE_DIR"] = "off"
    out, _ = timed(
        "protect + audit, no cache (secrecy.lec_tables)",
        lambda: secrecy.lec_tables(c, annee=2026, siren="245901152"),
        base,
    )
    with tempfile.TemporaryDirectory() as cache:
        os.environ["PEUPLEMENT_CACHE_DIR"] = cache
        secrecy.lec_tables(c, annee=2026, siren="245901152")
        timed(
            "protect + audit, pattern cached (second run)",
            lambda: secrecy.lec_tables(c, annee=2026, siren="245901152"),
            base,
        )
    os.environ["PEUPLEMENT_CACHE_DIR"] = "off"
    model = secrecy.lec_model(c, out, siren="245901152")
    leaks, _ = timed("audit alone, no witness given", lambda: secrecy.audit(out, model), base)
    old_leaks = secrecy.audit(
        {"lec": before}, secrecy.lec_model(c, {"lec": before}, siren="245901152")
    )
    m, n = masked_share(out)
    print(
        f"   before (single-table rule): {m0} of {n0} LEC counts masked ({m0 / n0:.1%}); "
        f"the audit finds {len(old_leaks)} recoverable or unprotected cells in it"
    )
    print(
        f"   after: {m} of {n} published counts masked ({m / n:.1%}); leaks found by the audit: {len(leaks)}"
    )


def _classified(att: pd.DataFrame, seuils: pd.DataFrame) -> pd.DataFrame:
    """Return the attributions classified as :func:`lec_france` does, for the audit's model."""
    data, _ = _with_epci(att)
    year = seuils[seuils["annee"] == 2026].drop_duplicates("siren_epci")
    data = data.merge(
        year[["siren_epci", "q1_annuel_uc", "q2_annuel_uc", "q3_annuel_uc"]], on="siren_epci"
    ).reset_index(drop=True)
    return lec.classify(
        data, q1=data["q1_annuel_uc"], q2=data["q2_annuel_uc"], q3=data["q3_annuel_uc"], annee=2026
    )


def national(dwellings: int, n_attributions: int, max_epci: int | None) -> None:
    rpls = synth_rpls_france(dwellings, seed=0)
    att = synthetic_attributions(rpls, n_attributions)
    seuils = lec.read_official(None)
    judged = sorted(set(seuils.loc[seuils["annee"] == 2026, "siren_epci"]))
    epci = _with_epci(att)[0]["siren_epci"]
    if max_epci is not None:  # a sample of the EPCIs bound by the law, for a quick run
        keep = epci.isin(judged[:max_epci]).to_numpy()
        att, epci = att[keep], epci[keep]
    n_epci, n_att = epci[epci.isin(judged)].nunique(), int(epci.isin(judged).sum())
    print(f"\nNational: {n_att:,} attributions judged in {n_epci:,} EPCI ({dwellings:,} dwellings)")
    (raw, _), base = timed(
        "unmasked LEC, EPCI + communes (baseline)",
        lambda: lec_france(att, seuils, annee=2026, secret=False),
    )
    (out, _), _ = timed(
        "protect + audit (lec_france, secret)",
        lambda: lec_france(att, seuils, annee=2026, secret=True),
        base,
    )
    m, n = masked_share({"lec": out})
    print(f"   {m} of {n} published counts masked ({m / n:.1%})")
    model = secrecy.lec_model(_classified(att, seuils), {"lec": out}, siren=None)
    leaks, _ = timed("audit alone", lambda: secrecy.audit({"lec": out}, model), base)
    print(f"   leaks found by the audit: {len(leaks)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dwellings", type=int, default=1_000_000)
    parser.add_argument("--attributions", type=int, default=40_000)
    parser.add_argument("--max-epci", type=int, default=None)
    parser.add_argument("--skip-default", action="store_true")
    args = parser.parse_args()
    if not args.skip_default:
        default_territory()
    national(args.dwellings, args.attributions, args.max_epci)


if __name__ == "__main__":
    main()
