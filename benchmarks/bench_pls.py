"""Speed of ``crmkit.models.pls`` on the mobi survey, its bootstrap and a large simulated survey, and peers.

Run by hand from the repository root (pytest never collects this file)::

    python benchmarks/bench_pls.py
    python benchmarks/bench_pls.py --repeats 50 --json pls-bench.json
    python benchmarks/bench_pls.py --seminr-python /tmp/pls-peer/bin/python \\
                                   --plspm-python /tmp/pls-peer-plspm/bin/python

Cases (wall time inside one Python process, after one warm-up run; median over repeats):

* ``estimate mobi``: ``PLSPathModel(ECSI).fit(mobi)``, 250 respondents x 24 items
  (target < 50 ms);
* ``bootstrap mobi``: ``PLSPathModel(ECSI).bootstrap(mobi, n=1000, scale=(1, 10))``, which
  also refits the full sample and bootstraps the indices (target < 1 s);
* ``plsc + predict mobi``: ``PLSPathModel(ECSI, consistent=True).fit(mobi)`` and
  ``pls_predict(..., folds=10)`` (issue 15; target < 1 s);
* ``plsc bootstrap mobi``: the PLSc model bootstrapped, 1,000 resamples (no target);
* ``mga mobi``: ``permutation_mga`` of mobi split at CUEX1 < 8, 1,000 permutations (no target);
* ``estimate simulated``: 100,000 respondents drawn from the ECSI structure (path
  coefficients of the mobi fit, loadings 0.8, answers rounded to a 1-10 scale), fit plus
  the per-respondent indices (target < 5 s). Drawing the data is not timed.

Peers, each in its own scratch virtualenv outside the project (R and CRAN are not reachable
here, so seminr itself cannot run), run as a subprocess that prints JSON::

    python3.11 -m venv /tmp/pls-peer && /tmp/pls-peer/bin/pip install seminr
    python3.11 -m venv /tmp/pls-peer-plspm && /tmp/pls-peer-plspm/bin/pip install plspm "pandas<3"


* ``seminr`` 0.2.1 on PyPI, a Python port of the seminr R package: ``estimate_pls`` with
  ``composite()`` (Mode A) constructs and ``path_weighting``; ``bootstrap_model(nboot)``;
* ``plspm`` 0.5.7 on PyPI (needs pandas < 3): ``Plspm(..., Scheme.PATH)``, scaled data.

For each peer the largest absolute difference of its 12 path coefficients from crmkit's
is reported next to its timings.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MOBI = ROOT.parent / "shared" / "datasets" / "mobi.csv"

# The ECSI preset is the one specification of the model (crmkit/survey_models/ecsi.toml).
from crmkit.satisfaction import load_model  # noqa: E402 (needs the sys.path line above)

_ECSI = load_model("ecsi")
CONSTRUCTS = _ECSI.constructs
PATHS = _ECSI.paths

TARGETS = {
    "estimate mobi": 0.050,
    "bootstrap mobi": 1.0,
    "plsc + predict mobi": 1.0,
    "estimate simulated": 5.0,
}

SEMINR_SCRIPT = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
import seminr as s
mobi = pd.read_csv(sys.argv[1]); repeats = int(sys.argv[2]); nboot = int(sys.argv[3])
mm = s.constructs(
    s.composite("Image", s.multi_items("IMAG", range(1, 6))),
    s.composite("Expectation", s.multi_items("CUEX", range(1, 4))),
    s.composite("Quality", s.multi_items("PERQ", range(1, 8))),
    s.composite("Value", s.multi_items("PERV", range(1, 3))),
    s.composite("Satisfaction", s.multi_items("CUSA", range(1, 4))),
    s.composite("Complaints", s.single_item("CUSCO")),
    s.composite("Loyalty", s.multi_items("CUSL", range(1, 4))))
sm = s.relationships(
    s.paths("Image", ["Expectation", "Satisfaction", "Loyalty"]),
    s.paths("Expectation", ["Quality", "Value", "Satisfaction"]),
    s.paths("Quality", ["Value", "Satisfaction"]), s.paths("Value", "Satisfaction"),
    s.paths("Satisfaction", ["Complaints", "Loyalty"]), s.paths("Complaints", "Loyalty"))
model = s.estimate_pls(mobi, mm, sm)
times = []
for _ in range(repeats):
    t = time.perf_counter(); model = s.estimate_pls(mobi, mm, sm); times.append(time.perf_counter() - t)
pc = model.path_coef
paths = {f"{a}>{b}": float(pc.values[i, j]) for i, a in enumerate(pc.rows) for j, b in enumerate(pc.cols)
         if pc.values[i, j] != 0}
t = time.perf_counter(); boot = s.bootstrap_model(model, nboot, seed=1); boot_time = time.perf_counter() - t
print(json.dumps({"version": getattr(s, "__version__", "?"), "estimate": times, "bootstrap": boot_time,
                  "bootstrap_n": nboot, "bootstrap_fails": int(boot.fails), "paths": paths}))
"""

PLSPM_SCRIPT = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
import plspm.config as c
from plspm.plspm import Plspm
from plspm.scheme import Scheme
from plspm.mode import Mode
mobi = pd.read_csv(sys.argv[1]); repeats = int(sys.argv[2])
prefix = {"Image": "IMAG", "Expectation": "CUEX", "Quality": "PERQ", "Value": "PERV",
          "Satisfaction": "CUSA", "Complaints": "CUSCO", "Loyalty": "CUSL"}
def build():
    structure = c.Structure()
    structure.add_path(["Image"], ["Expectation", "Satisfaction", "Loyalty"])
    structure.add_path(["Expectation"], ["Quality", "Value", "Satisfaction"])
    structure.add_path(["Quality"], ["Value", "Satisfaction"])
    structure.add_path(["Value"], ["Satisfaction"])
    structure.add_path(["Satisfaction"], ["Complaints", "Loyalty"])
    structure.add_path(["Complaints"], ["Loyalty"])
    path = structure.path()   # a Structure's path() can be read once only
    config = c.Config(path, scaled=True)
    for lv in path.columns:
        config.add_lv_with_columns_named(lv, Mode.A, mobi, prefix[lv])
    return config
config = build()
model = Plspm(mobi, config, Scheme.PATH)
times = []
for _ in range(repeats):
    config = build()
    t = time.perf_counter(); model = Plspm(mobi, config, Scheme.PATH); times.append(time.perf_counter() - t)
pc = model.path_coefficients()   # rows = targets, columns = sources
paths = {f"{src}>{dst}": float(pc.loc[dst, src]) for dst in pc.index for src in pc.columns if pc.loc[dst, src] != 0}
import importlib.metadata as md
print(json.dumps({"version": md.version("plspm"), "estimate": times, "paths": paths}))
"""


def median_time(fn, repeats: int) -> tuple[float, list[float]]:
    fn()  # warm-up: imports, first-call allocations
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def simulate_ecsi(n: int, paths: dict, seed: int):
    """Answers on a 1-10 scale from the ECSI structure: unit-variance latent scores, loadings 0.8."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    order = ["Image", "Expectation", "Quality", "Value", "Satisfaction", "Complaints", "Loyalty"]
    latent: dict[str, np.ndarray] = {}
    for construct in order:
        preds = [a for (a, b) in paths if b == construct]
        if not preds:
            latent[construct] = rng.standard_normal(n)
            continue
        beta = np.array([paths[(a, construct)] for a in preds])
        L = np.column_stack([latent[a] for a in preds])
        systematic = L @ beta
        # residual variance that brings the construct back to unit variance
        residual_sd = np.sqrt(max(1e-6, 1 - systematic.var()))
        latent[construct] = systematic + residual_sd * rng.standard_normal(n)
    columns = {}
    for construct, items in CONSTRUCTS.items():
        loading = 0.8 if len(items) > 1 else 0.95
        for item in items:
            x = loading * latent[construct] + np.sqrt(1 - loading**2) * rng.standard_normal(n)
            columns[item] = np.clip(np.rint(7.5 + 1.6 * x), 1, 10)
    return pd.DataFrame(columns)


def run_peer(python: str, script: str, args: list[str], timeout: float):
    if not python or not Path(python).exists():
        return {"skipped": f"no interpreter at {python}"}
    try:
        done = subprocess.run(
            [python, "-c", script, *args], check=False, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"skipped": f"timed out after {timeout:g} s"}
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["?"]
        return {"skipped": f"failed: {tail[0]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=30, help="runs of the mobi estimate (median reported)")
    parser.add_argument("--boot", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--boot-repeats", type=int, default=5, help="runs of the bootstrap (median reported)")
    parser.add_argument("--respondents", type=int, default=100_000, help="size of the simulated survey")
    parser.add_argument("--sim-repeats", type=int, default=3, help="runs of the simulated estimate")
    parser.add_argument("--seed", type=int, default=20261124, help="seed of the simulated survey")
    parser.add_argument(
        "--seminr-python",
        default="/tmp/pls-peer/bin/python",
        help="python of the virtualenv with the seminr port (skipped when absent)",
    )
    parser.add_argument(
        "--plspm-python",
        default="/tmp/pls-peer-plspm/bin/python",
        help="python of the virtualenv with plspm and pandas<3 (skipped when absent)",
    )
    parser.add_argument("--peer-repeats", type=int, default=10, help="runs of each peer's mobi estimate")
    parser.add_argument("--peer-timeout", type=float, default=600.0)
    parser.add_argument("--json", help="also write every record here")
    args = parser.parse_args(argv)

    if not MOBI.is_file():
        print(f"mobi.csv not found at {MOBI}", file=sys.stderr)
        return 3
    import numpy as np
    import pandas as pd

    from crmkit.models.pls import PLSPathModel

    mobi = pd.read_csv(MOBI)
    load = os.getloadavg()[0]
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"{os.cpu_count()} CPUs, load {load:.2f}"
    )

    records = []

    def record(case, seconds, runs, **extra):
        target = TARGETS.get(case)
        verdict = "" if target is None else ("met" if seconds < target else "MISSED")
        records.append({"case": case, "seconds": seconds, "runs": runs, "target": target, "verdict": verdict, **extra})

    seconds, runs = median_time(lambda: PLSPathModel(CONSTRUCTS, PATHS).fit(mobi), args.repeats)
    record("estimate mobi", seconds, runs)
    model = PLSPathModel(CONSTRUCTS, PATHS).fit(mobi)
    ours = {f"{a}>{b}": e for a, b, e in model.path_coefficients_.itertuples(index=False)}

    boot = {}

    def bootstrap():
        boot["result"] = PLSPathModel(CONSTRUCTS, PATHS).bootstrap(mobi, n=args.boot, seed=0, scale=(1, 10))

    seconds, runs = median_time(bootstrap, args.boot_repeats)
    record("bootstrap mobi", seconds, runs, resamples=args.boot, failed=boot["result"].n_failed)

    from crmkit.models.pls import permutation_mga, pls_predict

    def plsc_predict():
        pls_predict(PLSPathModel(CONSTRUCTS, PATHS, consistent=True), mobi, folds=10, seed=0)

    seconds, runs = median_time(plsc_predict, args.boot_repeats)
    record("plsc + predict mobi", seconds, runs, folds=10)
    seconds, runs = median_time(
        lambda: PLSPathModel(CONSTRUCTS, PATHS, consistent=True).bootstrap(mobi, n=args.boot, seed=0, scale=(1, 10)),
        args.boot_repeats,
    )
    record("plsc bootstrap mobi", seconds, runs, resamples=args.boot)
    groups = np.where(mobi["CUEX1"] < 8, "low", "high")
    seconds, runs = median_time(
        lambda: permutation_mga(CONSTRUCTS, PATHS, mobi, groups, n=args.boot, seed=0), args.boot_repeats
    )
    record("mga mobi", seconds, runs, permutations=args.boot)

    true_paths = {(a, b): e for a, b, e in model.path_coefficients_.itertuples(index=False)}
    start = time.perf_counter()
    simulated = simulate_ecsi(args.respondents, true_paths, args.seed)
    draw_time = time.perf_counter() - start

    def estimate_simulated():
        fitted = PLSPathModel(CONSTRUCTS, PATHS).fit(simulated)
        fitted.index(simulated, scale=(1, 10))
        return fitted

    seconds, runs = median_time(estimate_simulated, args.sim_repeats)
    sim_model = estimate_simulated()
    record(
        "estimate simulated",
        seconds,
        runs,
        respondents=args.respondents,
        draw_seconds=draw_time,
        paths={f"{a}>{b}": e for a, b, e in sim_model.path_coefficients_.itertuples(index=False)},
    )

    peers = {
        "seminr (PyPI port)": run_peer(
            args.seminr_python, SEMINR_SCRIPT, [str(MOBI), str(args.peer_repeats), str(args.boot)], args.peer_timeout
        ),
        "plspm": run_peer(args.plspm_python, PLSPM_SCRIPT, [str(MOBI), str(args.peer_repeats)], args.peer_timeout),
    }

    print()
    print(f"{'case':<24}{'seconds (median)':>18}{'target':>10}  verdict")
    for rec in records:
        target = f"< {rec['target']:g}" if rec["target"] else ""
        print(f"{rec['case']:<24}{rec['seconds']:>18.4f}{target:>10}  {rec['verdict']}")
    boot_result = boot["result"]
    print(f"  bootstrap: {args.boot} resamples, {boot_result.n_failed} left out")
    print(f"  simulated: {args.respondents:,} respondents drawn in {draw_time:.2f} s (not timed)")

    print()
    print(f"{'peer':<22}{'version':>9}{'estimate s':>12}{'bootstrap s':>13}{'max |dpath|':>13}")
    print(f"{'crmkit':<22}{'':>9}{records[0]['seconds']:>12.4f}{records[1]['seconds']:>13.3f}{0.0:>13.1e}")
    for name, result in peers.items():
        if "skipped" in result:
            print(f"{name:<22}  skipped: {result['skipped']}")
            continue
        est = statistics.median(result["estimate"])
        diff = max(abs(result["paths"].get(key, np.nan) - value) for key, value in ours.items())
        boot_s = f"{result['bootstrap']:.3f}" if "bootstrap" in result else "-"
        print(f"{name:<22}{result['version']:>9}{est:>12.4f}{boot_s:>13}{diff:>13.1e}")
        result["max_abs_path_difference"] = diff

    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "python": platform.python_version(),
                    "numpy": np.__version__,
                    "pandas": pd.__version__,
                    "cpus": os.cpu_count(),
                    "load_start": load,
                    "load_end": os.getloadavg()[0],
                    "records": records,
                    "peers": peers,
                    "crmkit_paths": ours,
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
