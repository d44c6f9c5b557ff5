"""National-size benchmark of the indicator layer (issue: concentration and mixité).

Builds a synthetic France: 35,000 communes in 1,250 EPCIs, 5.2 million dwellings of
about 600 landlords (a third of them in QPV in the communes that have some), and times

(a) all single-group segregation indices for all EPCIs in one grouped pass, against a
    Python loop of PySAL ``segregation`` over the EPCIs for the same indices (values
    compared);
(b) all concentration indicators for all communes, landlords and EPCIs from the 5.2
    million dwelling rows.

Run: ``python benchmarks/indicators_national.py [--epci-sample N]``. Prints wall time and
peak resident memory. Not part of the unit tests.
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings

import numpy as np
import pandas as pd

from peuplement.indicators import (
    commune_concentration,
    count_dwellings,
    landlord_concentration,
    segregation,
    territory_concentration,
)

N_COMMUNES, N_EPCI, N_DWELLINGS, N_LANDLORDS = 35_000, 1_250, 5_200_000, 600


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    communes = pd.DataFrame(
        {
            "code_insee": [f"{i:05d}" for i in range(1001, 1001 + N_COMMUNES)],
            "siren_epci": [f"2{i:08d}" for i in np.sort(rng.integers(0, N_EPCI, N_COMMUNES))],
        }
    )
    households = rng.lognormal(6, 1.3, N_COMMUNES).astype(np.int64) + 1
    communes["menages"] = households
    communes["q1"] = rng.binomial(households, rng.beta(2, 6, N_COMMUNES))
    weights = households / households.sum()
    commune_idx = rng.choice(N_COMMUNES, N_DWELLINGS, p=weights)
    landlord = rng.zipf(1.6, N_DWELLINGS) % N_LANDLORDS
    has_qpv = rng.random(N_COMMUNES) < 0.04
    in_qpv = has_qpv[commune_idx] & (rng.random(N_DWELLINGS) < 0.35)
    dwellings = pd.DataFrame(
        {
            "code_insee": pd.Categorical.from_codes(commune_idx, communes["code_insee"]),
            "siren_epci": pd.Categorical(communes["siren_epci"].to_numpy()[commune_idx]),
            "bailleur": pd.Categorical.from_codes(
                landlord, [f"B{i:03d}" for i in range(N_LANDLORDS)]
            ),
            "code_qpv": pd.Series(np.where(in_qpv, "QP000001", None), dtype="string"),
        }
    )
    return communes, dwellings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epci-sample", type=int, default=N_EPCI, help="EPCIs in the PySAL loop")
    args = parser.parse_args()
    t = time.perf_counter()
    communes, dwellings = synthetic()
    print(
        f"synthetic input: {len(communes):,} communes, {communes['siren_epci'].nunique():,} EPCI, "
        f"{len(dwellings):,} dwellings, {dwellings['bailleur'].nunique()} landlords "
        f"({time.perf_counter() - t:.1f} s, peak {peak_mb():,.0f} MB)"
    )

    t = time.perf_counter()
    batch = segregation(communes, "q1", "menages", by="siren_epci")
    batch_s = time.perf_counter() - t
    print(f"(a) segregation, all {len(batch):,} EPCI in one pass: {batch_s:.3f} s")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from segregation.singlegroup import (
            CorrelationR,
            Dissim,
            Entropy,
            Gini,
            Interaction,
            Isolation,
        )

        oracles = {
            "dissimilarite": Dissim,
            "isolement": Isolation,
            "exposition": Interaction,
            "ratio_correlation": CorrelationR,
            "entropie_h": Entropy,
            "gini": Gini,
        }
        sample = batch.index[: args.epci_sample]
        t = time.perf_counter()
        worst = 0.0
        for siren in sample:
            unit = communes[communes["siren_epci"] == siren]
            for column, cls in oracles.items():
                value = cls(unit, "q1", "menages").statistic
                if not np.isnan(batch.at[siren, column]):
                    worst = max(worst, abs(value - batch.at[siren, column]))
        loop_s = time.perf_counter() - t
    scale = len(batch) / len(sample)
    print(
        f"    PySAL loop over {len(sample):,} EPCI: {loop_s:.1f} s (×{scale:.1f} for all: "
        f"{loop_s * scale:.1f} s); batch is {loop_s * scale / batch_s:,.0f}× faster; "
        f"largest difference {worst:.2e}"
    )

    t = time.perf_counter()
    per_commune = count_dwellings(dwellings, by=["siren_epci", "code_insee"])
    per_landlord = count_dwellings(dwellings, by=["siren_epci", "code_insee", "bailleur"])
    c = commune_concentration(per_commune, by="siren_epci")
    b = landlord_concentration(per_landlord, by="siren_epci")
    e = territory_concentration(per_commune, landlords=per_landlord, by="siren_epci")
    conc_s = time.perf_counter() - t
    print(
        f"(b) concentration from {len(dwellings):,} dwellings: {conc_s:.1f} s -> {len(c):,} communes, "
        f"{len(b):,} landlord × EPCI rows, {len(e):,} EPCI; peak memory {peak_mb():,.0f} MB"
    )


if __name__ == "__main__":
    main()
