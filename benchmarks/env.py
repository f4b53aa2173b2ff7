#!/usr/bin/env python
"""Environment benchmark: how long Seamline's generated compose environments take to become
healthy and to go away, next to the floor of starting the same images by hand.

    .venv/bin/python benchmarks/env.py                  # Postgres; Postgres+Redis; Postgres+Redis+RabbitMQ
    .venv/bin/python benchmarks/env.py --repeat 3       # best of 3 per figure
    .venv/bin/python benchmarks/env.py --json           # figures as JSON on stdout
    .venv/bin/python benchmarks/env.py --check          # exit 1 if a target is missed

Figures, per set of services (each the best of --repeat runs):
- cold:     `seamline env up` (compose `up -d --wait`, then status and wiring) of a project whose
            containers do not exist yet; images are present (this machine cannot pull).
- warm:     the same after `compose stop`: the containers exist and are started again.
- teardown: `seamline env down` (`down -v -t 1 --remove-orphans`) of the running project.
- floor:    `docker run -d` of the same images with the same command, env and tmpfs but no
            healthcheck, with the same readiness probe run by hand (`docker exec`, as often as it
            can) until every service answers; then `docker rm -f`. Nothing can be ready sooner.

Targets (DESIGN / issue 5): warm up-to-healthy within 1.5x the floor and under 10 s for
Postgres+Redis; teardown under 3 s. Needs the engine of ../shared/recipes/docker-engine.sh.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO / "server") not in sys.path:
    sys.path.insert(0, str(REPO / "server"))

from seamline.core.generate.compose import generate_compose, render_compose
from seamline.core.generate.writer import write_generated
from seamline.core.model import Service
from seamline.env import ComposeCli, EnvSpec, down, leftovers, up
from seamline.env.engine import connect

IMAGES = {"postgres": "postgres:15", "redis": "redis:7", "rabbitmq": "rabbitmq:3"}  # what the recipe provides
SETS = {
    "postgres": ("postgres",),
    "postgres+redis": ("postgres", "redis"),
    "postgres+redis+rabbitmq": ("postgres", "redis", "rabbitmq"),
}
TARGETS = {"warm_over_floor": 1.5, "warm_s": 10.0, "teardown_s": 3.0}
WARM_TARGET_SET = "postgres+redis"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check)


def _spec(kinds: tuple[str, ...], project: str):
    return generate_compose([Service(kind=k) for k in kinds], project_name=project, images=IMAGES)


def measure_compose(kinds: tuple[str, ...], workdir: Path) -> dict[str, float]:
    """cold up, warm up (after stop), teardown, for one fresh project."""
    project = f"seamline-bench-{uuid.uuid4().hex[:8]}"
    path = workdir / f"{project}.yaml"
    write_generated(path, render_compose(_spec(kinds, project)))
    env = EnvSpec(project=project, files=(path,), workdir=workdir, wait_timeout_s=120, env_file=None)
    compose = ComposeCli(cwd=workdir)
    client = connect()
    try:
        t0 = time.perf_counter()
        handle = up(env, compose, client=client)
        cold = time.perf_counter() - t0
        assert handle.status.healthy, handle.status
        compose.run(["-p", project, "-f", str(path), "stop", "-t", "1"])
        t0 = time.perf_counter()
        handle = up(env, compose, client=client)
        warm = time.perf_counter() - t0
        assert handle.status.healthy, handle.status
        t0 = time.perf_counter()
        down(env, compose)
        teardown = time.perf_counter() - t0
    finally:
        down(env, compose)
    left = leftovers(project, client=client)
    if left:
        raise SystemExit(f"benchmark leaked {left}")
    return {"cold_s": cold, "warm_s": warm, "teardown_s": teardown}


def _poll(name: str, test: list[str], *, deadline: float) -> bool:
    probe = ["sh", "-c", test[1]] if test[0] == "CMD-SHELL" else test[1:]
    while time.perf_counter() < deadline:
        if _docker("exec", name, *probe, check=False).returncode == 0:
            return True
    return False


def measure_floor(kinds: tuple[str, ...]) -> float:
    """`docker run` of the same containers, readiness probed by hand as fast as docker exec allows."""
    project = f"seamline-floor-{uuid.uuid4().hex[:8]}"
    services = _spec(kinds, project).document["services"]
    names = []
    try:
        t0 = time.perf_counter()
        for svc, body in services.items():
            name = f"{project}-{svc}"
            argv = ["run", "-d", "--init", "--name", name, "--label", f"dev.seamline.project={project}"]
            for key, value in (body.get("environment") or {}).items():
                argv += ["-e", f"{key}={value}"]
            for mount in body.get("tmpfs", []):
                argv += ["--tmpfs", mount]
            for port in body.get("ports", []):
                argv += ["-p", port]
            _docker(*argv, body["image"], *(body.get("command") or []))
            names.append((name, body["healthcheck"]["test"]))
        # one poller per container, in parallel: a slow probe (rabbitmq's starts a VM) delays no other
        with ThreadPoolExecutor(max_workers=len(names)) as pool:
            for ok in pool.map(lambda n: _poll(*n, deadline=t0 + 120), names):
                if not ok:
                    raise SystemExit("floor: a service never became ready")
        return time.perf_counter() - t0
    finally:
        if names:
            _docker("rm", "-f", "-v", *(n for n, _ in names), check=False)


def run(repeat: int) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    workdir = Path(tempfile.mkdtemp(prefix="seamline-bench-"))
    try:
        for label, kinds in SETS.items():
            runs = []
            floors = []
            for i in range(repeat):
                log(f"{label}: run {i + 1}/{repeat}")
                floors.append(measure_floor(kinds))
                runs.append(measure_compose(kinds, workdir))
            best = {k: min(r[k] for r in runs) for k in runs[0]}
            best["floor_s"] = min(floors)
            best["cold_over_floor"] = best["cold_s"] / best["floor_s"]
            best["warm_over_floor"] = best["warm_s"] / best["floor_s"]
            results[label] = best
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def checks(results: dict[str, dict[str, float]]) -> list[tuple[str, bool, str]]:
    out = []
    pr = results[WARM_TARGET_SET]
    out.append((f"warm up-to-healthy {WARM_TARGET_SET} <= {TARGETS['warm_over_floor']}x floor",
                pr["warm_over_floor"] <= TARGETS["warm_over_floor"], f"{pr['warm_over_floor']:.2f}x"))
    out.append((f"warm up-to-healthy {WARM_TARGET_SET} < {TARGETS['warm_s']:.0f} s", pr["warm_s"] < TARGETS["warm_s"],
                f"{pr['warm_s']:.2f} s"))
    for label, r in results.items():
        out.append((f"teardown {label} < {TARGETS['teardown_s']:.0f} s", r["teardown_s"] < TARGETS["teardown_s"],
                    f"{r['teardown_s']:.2f} s"))
    return out


def render(results: dict[str, dict[str, float]]) -> str:
    lines = [f"{'services':<26}{'floor':>8}{'cold':>8}{'warm':>8}{'cold/fl':>9}{'warm/fl':>9}{'teardown':>10}"]
    for label, r in results.items():
        lines.append(f"{label:<26}{r['floor_s']:>7.2f}s{r['cold_s']:>7.2f}s{r['warm_s']:>7.2f}s"
                     f"{r['cold_over_floor']:>8.2f}x{r['warm_over_floor']:>8.2f}x{r['teardown_s']:>9.2f}s")
    lines.append("")
    for name, ok, value in checks(results):
        lines.append(f"{'PASS' if ok else 'MISS'}  {name}: {value}")
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=2, help="runs per figure; the best is reported (default 2)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    p.add_argument("--only", choices=list(SETS), action="append", help="only these sets of services")
    args = p.parse_args()
    if args.only:
        for label in list(SETS):
            if label not in args.only:
                del SETS[label]
        if WARM_TARGET_SET not in SETS:
            SETS[WARM_TARGET_SET] = ("postgres", "redis")
    results = run(args.repeat)
    if args.json:
        print(json.dumps({"results": results, "checks": [{"check": n, "ok": ok, "value": v}
                                                          for n, ok, v in checks(results)]}, indent=2))
    else:
        sys.stdout.write(render(results))
    return 1 if args.check and not all(ok for _n, ok, _v in checks(results)) else 0


if __name__ == "__main__":
    sys.exit(main())
