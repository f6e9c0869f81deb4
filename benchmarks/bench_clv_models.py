"""Fit times and fitted values of crmkit's CLV models against lifetimes 0.11.3.

Run by hand from the repository root (pytest never collects this file)::

    python benchmarks/bench_clv_models.py                       # everything, lifetimes included
    python benchmarks/bench_clv_models.py --no-peer --repeats 5 # crmkit only
    python benchmarks/bench_clv_models.py --bgnbd-customers 200000 --timeout 120

What is measured:

* **CDNOW** (``../shared/datasets/cdnow_sample.csv``, skipped when absent): the published
  summary (per-day purchases, calibration through 1997-09-30, weeks), fitted with BG/NBD,
  Pareto/NBD, MBG/NBD and Gamma-Gamma; the BG/BB on the donation table of Fader, Hardie &
  Shang (2010). Parameters, log-likelihood (for lifetimes: crmkit's log-likelihood evaluated
  at lifetimes' parameters, since lifetimes reports a mean on rescaled time) and fit time.
* **Large simulated summaries**: BG/NBD on 1,000,000 customers and Pareto/NBD on 200,000
  (CDNOW's parameters, ages uniform on 1-78 weeks, continuous, so nearly every row is
  distinct), seeded. Fit time only (``fit(...)``, not the simulation), median of repeats.

lifetimes runs in the peer virtualenv (``/tmp/crmkit-peers``, see README.md) in a
subprocess that times its own ``fit`` call; data go over ``.npy`` files in a temporary
directory. A peer run longer than ``--timeout`` is killed and reported as such.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from crmkit.models import (  # noqa: E402 - after the path set-up above
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    fit_bgbb,
    fit_bgnbd,
    fit_gammagamma,
    fit_mbgnbd,
    fit_pnbd,
    simulate_bgnbd,
    simulate_pnbd,
)

DEFAULT_PEER = Path("/tmp/crmkit-peers/bin/python")
SHARED = REPO.parent / "shared" / "datasets"
CDNOW_PARAMS_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
CDNOW_PARAMS_PNBD = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
PUBLISHED = {
    "BG/NBD": ({**CDNOW_PARAMS_BGNBD}, -9582.4),
    "Pareto/NBD": ({**CDNOW_PARAMS_PNBD}, -9595.0),
    "Gamma-Gamma": ({"p": 6.25, "q": 3.74, "gamma": 15.44}, None),
    "BG/BB": ({"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}, -33225.6),
    "MBG/NBD": (None, None),
}
# Fader, Hardie & Shang (2010), Table 1: (x, t_x, donors), n = 6.
DONATIONS = [
    (0, 0, 3464),
    (1, 1, 1091),
    (1, 2, 277),
    (1, 3, 129),
    (1, 4, 78),
    (1, 5, 119),
    (1, 6, 129),
    (2, 2, 613),
    (2, 3, 255),
    (2, 4, 155),
    (2, 5, 173),
    (2, 6, 234),
    (3, 3, 322),
    (3, 4, 181),
    (3, 5, 225),
    (3, 6, 357),
    (4, 4, 240),
    (4, 5, 284),
    (4, 6, 512),
    (5, 5, 335),
    (5, 6, 728),
    (6, 6, 1203),
]

# Runs in the peer virtualenv: argv = model, data directory; prints one JSON line.
PEER_SCRIPT = r"""
import json, sys, time, warnings
import numpy as np
warnings.simplefilter("ignore")
model, folder = sys.argv[1], sys.argv[2]
load = lambda name: np.load(f"{folder}/{name}.npy")
import lifetimes
if model == "BG/BB":
    fitter = lifetimes.BetaGeoBetaBinomFitter()
    args = (load("x"), load("t_x"), load("n"))
    kwargs = {"weights": load("weights")}
elif model == "Gamma-Gamma":
    fitter = lifetimes.GammaGammaFitter()
    args, kwargs = (load("x"), load("mean_value")), {}
else:
    fitter = {"BG/NBD": lifetimes.BetaGeoFitter, "Pareto/NBD": lifetimes.ParetoNBDFitter,
              "MBG/NBD": lifetimes.ModifiedBetaGeoFitter}[model]()
    args, kwargs = (load("x"), load("t_x"), load("T")), {}
start = time.perf_counter()
fitter.fit(*args, **kwargs)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "params": {k: float(v) for k, v in fitter.params_.items()},
                  "version": lifetimes.__version__}))
"""

PEER_NAMES = {"v": "gamma"}

MODELS = {
    "BG/NBD": (fit_bgnbd, BetaGeoModel),
    "Pareto/NBD": (fit_pnbd, ParetoNBDModel),
    "MBG/NBD": (fit_mbgnbd, ModifiedBetaGeoModel),
    "BG/BB": (fit_bgbb, BetaGeoBetaBinomModel),
    "Gamma-Gamma": (fit_gammagamma, GammaGammaModel),
}


def cdnow_summary():
    """The published CDNOW calibration summary (see ../shared/datasets/README.md)."""
    import pandas as pd

    raw = pd.read_csv(SHARED / "cdnow_sample.csv", dtype={"customer_id": str}, parse_dates=["date"])
    days = raw.groupby(["customer_id", "date"], as_index=False)["amount"].sum()
    first = days.groupby("customer_id")["date"].min().rename("first")
    days = days.join(first, on="customer_id")
    end = pd.Timestamp("1997-09-30")
    calibration = days[days["date"] <= end]
    per_customer = calibration.groupby("customer_id")
    week = pd.Timedelta(days=7)
    x = (per_customer.size() - 1).astype(float)
    t_x = (per_customer["date"].max() - first) / week
    T = (end - first) / week
    repeat = calibration[calibration["date"] > calibration["first"]]
    mean_value = repeat.groupby("customer_id")["amount"].mean().reindex(x.index)
    return {"x": x.to_numpy(), "t_x": t_x.to_numpy(), "T": T.to_numpy(), "mean_value": mean_value.to_numpy()}


def model_inputs(model, data):
    if model == "BG/BB":
        return (data["x"], data["t_x"], data["n"]), {"weights": data["weights"]}
    if model == "Gamma-Gamma":
        keep = data["x"] > 0
        return (data["x"][keep], data["mean_value"][keep]), {}
    return (data["x"], data["t_x"], data["T"]), {}


def time_crmkit(model, data, repeats):
    fit, _ = MODELS[model]
    args, kwargs = model_inputs(model, data)
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        fitted = fit(*args, **kwargs)
        seconds.append(time.perf_counter() - start)
    return fitted, seconds


def run_peer(peer, model, data, timeout):
    """Fit with lifetimes in the peer venv; returns (record or None, note)."""
    if peer is None:
        return None, "not run (--no-peer)"
    if not Path(peer).exists():
        return None, f"skipped: no peer virtualenv at {peer}"
    args, kwargs = model_inputs(model, data)
    with tempfile.TemporaryDirectory(prefix="crmkit-bench-clv-") as folder:
        names = {"BG/BB": ("x", "t_x", "n"), "Gamma-Gamma": ("x", "mean_value")}.get(model, ("x", "t_x", "T"))
        for name, values in zip(names, args):
            np.save(os.path.join(folder, f"{name}.npy"), np.asarray(values, dtype=np.float64))
        for name, values in kwargs.items():
            np.save(os.path.join(folder, f"{name}.npy"), np.asarray(values, dtype=np.float64))
        try:
            done = subprocess.run(
                [str(peer), "-c", PEER_SCRIPT, model, folder],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return None, f"timed out after {timeout:g} s"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"failed: {last[:160]}"
    record = json.loads(done.stdout.strip().splitlines()[-1])
    # lifetimes calls the Gamma-Gamma scale "v".
    record["params"] = {PEER_NAMES.get(k, k): v for k, v in record["params"].items()}
    return record, ""


def log_likelihood_at(model, params, data):
    """crmkit's log-likelihood of the data at another tool's parameters (same definition)."""
    _, cls = MODELS[model]
    fitted = cls.from_params(**params)
    args, kwargs = model_inputs(model, data)
    ll = fitted.log_likelihood(*args)
    if "weights" in kwargs:
        return float(kwargs["weights"] @ ll)
    return float(np.sum(ll))


def fmt_params(params):
    return ", ".join(f"{k} {v:.4g}" for k, v in params.items()) if params else "—"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-python", default=str(DEFAULT_PEER))
    parser.add_argument("--no-peer", action="store_true", help="crmkit only")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per lifetimes fit")
    parser.add_argument("--repeats", type=int, default=3, help="crmkit fits per case (median)")
    parser.add_argument("--bgnbd-customers", type=int, default=1_000_000)
    parser.add_argument("--pnbd-customers", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--json", help="also write every record to this file")
    args = parser.parse_args(argv)
    peer = None if args.no_peer else args.peer_python

    load = os.getloadavg()[0]
    print(f"# CLV model benchmark — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs, load average {load:.2f} at start"
    )
    if load > 0.5:
        print(f"warning: load average {load:.2f} > 0.5, timings are inflated by other work")
    records = []

    # ---------------------------------------------------------------- published data sets
    datasets = {}
    if (SHARED / "cdnow_sample.csv").is_file():
        datasets["cdnow"] = cdnow_summary()
    else:
        print(f"\nCDNOW skipped: {SHARED / 'cdnow_sample.csv'} not found")
    x, t_x, donors = (np.array(col, dtype=float) for col in zip(*DONATIONS))
    datasets["donations"] = {"x": x, "t_x": t_x, "n": np.full(x.size, 6.0), "weights": donors}
    print("\n## Published data sets: crmkit vs lifetimes vs the papers\n")
    print("| model | data | source | parameters | log-likelihood | fit s |")
    print("| --- | --- | --- | --- | ---: | ---: |")
    for model in ("BG/NBD", "Pareto/NBD", "MBG/NBD", "Gamma-Gamma", "BG/BB"):
        name = "donations" if model == "BG/BB" else "cdnow"
        if name not in datasets:
            continue
        data = datasets[name]
        fitted, seconds = time_crmkit(model, data, args.repeats)
        published, published_ll = PUBLISHED[model]
        print(
            f"| {model} | {name} | crmkit | {fmt_params(fitted.params_)} | "
            f"{fitted.log_likelihood_:.2f} | {statistics.median(seconds):.3f} |"
        )
        peer_record, note = run_peer(peer, model, data, args.timeout)
        record = {
            "case": f"{model} {name}",
            "crmkit_params": fitted.params_,
            "crmkit_log_likelihood": fitted.log_likelihood_,
            "crmkit_seconds": seconds,
        }
        if peer_record:
            ll = log_likelihood_at(model, peer_record["params"], data)
            ratio = peer_record["seconds"] / statistics.median(seconds)
            print(
                f"| {model} | {name} | lifetimes {peer_record['version']} | "
                f"{fmt_params(peer_record['params'])} | {ll:.2f} | "
                f"{peer_record['seconds']:.3f} ({ratio:.0f}x crmkit) |"
            )
            record.update(
                peer_params=peer_record["params"], peer_log_likelihood=ll, peer_seconds=peer_record["seconds"]
            )
        else:
            print(f"| {model} | {name} | lifetimes | {note} | | |")
            record["peer_note"] = note
        if published:
            ll_text = f"{published_ll:.1f}" if published_ll is not None else ""
            print(f"| {model} | {name} | published | {fmt_params(published)} | {ll_text} | |")
        records.append(record)

    # ---------------------------------------------------------------- large simulated summaries
    rng = np.random.default_rng(args.seed)
    large = []
    n = args.bgnbd_customers
    xs, txs, Ts = simulate_bgnbd(n, rng.uniform(1.0, 78.0, n), rng=rng, **CDNOW_PARAMS_BGNBD)
    large.append(("BG/NBD", n, {"x": xs, "t_x": txs, "T": Ts}, 1.0))
    n = args.pnbd_customers
    xs, txs, Ts = simulate_pnbd(n, rng.uniform(1.0, 78.0, n), rng=rng, **CDNOW_PARAMS_PNBD)
    large.append(("Pareto/NBD", n, {"x": xs, "t_x": txs, "T": Ts}, 5.0))
    print("\n## Large simulated summaries (fit time, median of crmkit repeats)\n")
    print("| model | customers | crmkit s | target | lifetimes s | lifetimes / crmkit | same optimum |")
    print("| --- | ---: | ---: | --- | ---: | ---: | --- |")
    for model, n, data, target in large:
        fitted, seconds = time_crmkit(model, data, args.repeats)
        ours = statistics.median(seconds)
        verdict = "met" if ours < target else "MISSED"
        peer_record, note = run_peer(peer, model, data, args.timeout)
        if peer_record:
            peer_ll = log_likelihood_at(model, peer_record["params"], data)
            same = f"LL {fitted.log_likelihood_ - peer_ll:+.2f} vs lifetimes"
            peer_text = f"{peer_record['seconds']:.2f}"
            ratio = f"{peer_record['seconds'] / ours:.1f}x"
        else:
            same, peer_text, ratio = "", note, ""
        print(f"| {model} | {n:,} | {ours:.3f} | < {target:g} s: {verdict} | {peer_text} | {ratio} | {same} |")
        records.append(
            {
                "case": f"{model} simulated {n}",
                "crmkit_seconds": seconds,
                "crmkit_params": fitted.params_,
                "peer": peer_record,
                "peer_note": note,
            }
        )
    print(f"\nload average at end {os.getloadavg()[0]:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(records, indent=2, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
