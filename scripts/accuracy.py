#!/usr/bin/env python3
"""Measure Seamline's endpoint listing against runtime ground truth.

One app:
    python scripts/accuracy.py /tmp/realapps/flask/examples/tutorial \
        docs/accuracy/ground_truth/flask-tutorial.json

All apps in the table below (markdown table on stdout; add -v for missing/extra lists):
    python scripts/accuracy.py --all [--realapps /tmp/realapps] [-v]

Test the comparison without running the analyser (feed a saved/hand-made scan output):
    python scripts/accuracy.py DIR GT.json --scan-json fake_scan.json

How matching works (see docs/accuracy/README.md):
  * an endpoint is the pair (METHOD, path); paths are compared OpenAPI-style;
  * parameter names are ignored: `{id}`, `{pk}`, `<int:id>`, `{id:int}` in the same position
    are all `{}`;
  * a trailing-slash difference is NOT a match (strict recall counts it as missing), but
    such pairs are listed separately as "slash-only" and a slash-insensitive recall is shown;
  * ground-truth entries carry "origin": "app" | "framework" | "third_party"; recall is
    given over all of them and over origin == "app" only; an analyser endpoint that matches
    any ground-truth entry is never counted as "extra".

The analyser is run as `python -m seamline.cli scan DIR --format json` with this repo's
server/ on PYTHONPATH. Exit status: 0 unless the tool itself could not run (an analyser
crash is reported, not raised).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GT_DIR = REPO / "docs" / "accuracy" / "ground_truth"

# (name, repo dir under --realapps, subdir to scan, ground-truth file, only endpoints whose
#  "file" ends with one of these; empty = all). See scripts/fetch_realapps.md.
APPS: list[tuple[str, str, str, str, tuple[str, ...]]] = [
    ("flask-tutorial", "flask", "examples/tutorial", "flask-tutorial.json", ()),
    ("flask-realworld", "flask-realworld", "", "flask-realworld.json", ()),
    (
        "fastapi-bigger-applications",
        "fastapi",
        "docs_src/bigger_applications/app_an_py310",
        "fastapi-bigger-applications.json",
        (),
    ),
    (
        "fastapi-sql-databases",
        "fastapi",
        "docs_src/sql_databases",
        "fastapi-sql-databases.json",
        ("tutorial002_an_py310.py",),
    ),
    ("drf-tutorial", "rest-framework-tutorial", "", "drf-tutorial.json", ()),
]

ANY_METHOD = {"*", "ANY", "ALL"}
_FLASK_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")  # <int:id> / <id>
_BRACE_PARAM = re.compile(r"\{[^{}]*\}")  # {id} / {id:int} / {path:path}


# ----------------------------------------------------------------------------- normalising
def norm_path(p: str) -> str:
    """OpenAPI-ish path with anonymous params; keeps the trailing slash as is."""
    p = (p or "").strip()
    if "://" in p:  # absolute URL: keep the path part
        p = "/" + p.split("://", 1)[1].partition("/")[2]
    p = _FLASK_PARAM.sub("{}", p)
    p = _BRACE_PARAM.sub("{}", p)
    if not p.startswith("/"):
        p = "/" + p
    p = re.sub(r"/{2,}", "/", p)
    return p


def toggle_slash(p: str) -> str:
    if p == "/":
        return p
    return p[:-1] if p.endswith("/") else p + "/"


def norm_methods(m) -> list[str]:
    if m is None:
        return ["*"]
    if isinstance(m, (list, tuple, set)):
        out = []
        for x in m:
            out.extend(norm_methods(x))
        return out
    m = str(m).strip().upper()
    for sep in ("|", ",", " "):
        if sep in m:
            return [x for part in m.split(sep) if part for x in norm_methods(part)]
    return ["*" if m in ANY_METHOD else m]


Key = tuple  # (METHOD, normalised path)


@dataclass
class Result:
    name: str
    gt_total: int = 0
    gt_app_total: int = 0
    found_total: int = 0
    matched: set = field(default_factory=set)  # GT keys matched strictly
    missing: list = field(default_factory=list)  # GT entries (original) not matched
    extra: list = field(default_factory=list)  # analyser entries not in GT (slash-only excluded)
    slash_extra: list = field(default_factory=list)  # analyser entries only off by a slash
    slash_only: list = field(default_factory=list)  # (gt entry, analyser entry)
    matched_app: int = 0
    error: str | None = None
    note: str = ""

    @property
    def recall(self):
        return len(self.matched) / self.gt_total if self.gt_total else None

    @property
    def recall_app(self):
        return self.matched_app / self.gt_app_total if self.gt_app_total else None

    @property
    def recall_loose(self):
        return (len(self.matched) + len(self.slash_only)) / self.gt_total if self.gt_total else None

    @property
    def precision(self):
        # analyser endpoints (deduplicated keys) that hit ground truth, over all analyser keys
        if not self.found_total:
            return None
        return (self.found_total - len(self.extra) - len(self.slash_extra)) / self.found_total


# ----------------------------------------------------------------------------- I/O
def load_ground_truth(path: Path) -> list[dict]:
    data = json.loads(path.read_text())
    if isinstance(data, dict):
        data = data.get("endpoints", [])
    out = []
    for e in data:
        for m in norm_methods(e.get("method")):
            out.append({"method": m, "path": e["path"], "origin": e.get("origin", "app")})
    return out


def run_scan(scan_dir: Path, python: str, timeout: float) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO / "server")] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    cmd = [python, "-m", "seamline.cli", "scan", str(scan_dir), "--format", "json"]
    try:
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"scan timed out after {timeout:.0f}s")
    except OSError as exc:
        raise RuntimeError(f"could not start {python}: {exc}")
    out = proc.stdout.strip()
    try:
        doc = json.loads(out) if out else None
    except json.JSONDecodeError:
        # tolerate log lines before the JSON document
        start = out.find("{")
        try:
            doc = json.loads(out[start:]) if start >= 0 else None
        except json.JSONDecodeError:
            doc = None
    if doc is None:
        tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-3:]
        raise RuntimeError(f"scan exited {proc.returncode}, no JSON on stdout: " + " | ".join(tail))
    return doc


def scan_endpoints(doc, only_files: tuple[str, ...]) -> list[dict]:
    if isinstance(doc, list):
        eps = doc
    elif isinstance(doc, dict):
        eps = doc.get("endpoints")
        if eps is None:
            raise RuntimeError("scan JSON has no 'endpoints' key")
    else:
        raise RuntimeError("scan JSON is neither an object nor a list")
    out = []
    for e in eps:
        if not isinstance(e, dict) or "path" not in e:
            continue
        f = str(e.get("file") or "").replace("\\", "/")
        if only_files and f and not any(f == s or f.endswith("/" + s) for s in only_files):
            continue
        for m in norm_methods(e.get("method", e.get("methods"))):
            out.append({"method": m, "path": e["path"], "file": f, "line": e.get("line")})
    return out


# ----------------------------------------------------------------------------- compare
def compare(name: str, gt: list[dict], found: list[dict]) -> Result:
    r = Result(name=name)
    gt_by_key: dict[Key, dict] = {}
    for e in gt:
        gt_by_key.setdefault((e["method"], norm_path(e["path"])), e)
    found_by_key: dict[Key, dict] = {}
    for e in found:
        found_by_key.setdefault((e["method"], norm_path(e["path"])), e)
    r.gt_total = len(gt_by_key)
    r.gt_app_total = sum(1 for e in gt_by_key.values() if e["origin"] == "app")
    r.found_total = len(found_by_key)

    # analyser "any method" entries (plain Django function views, etc.) cover every GT
    # method at that path
    any_paths = {p for (m, p) in found_by_key if m == "*"}

    for k, e in gt_by_key.items():
        if k in found_by_key or k[1] in any_paths:
            r.matched.add(k)
            r.matched_app += e["origin"] == "app"

    gt_paths = {p for (_, p) in gt_by_key}
    extra_keys = []
    for k in found_by_key:
        m, p = k
        if k in gt_by_key or (m == "*" and p in gt_paths):
            continue
        extra_keys.append(k)

    # pair up remaining misses with extras that differ only by a trailing slash
    extra_set = set(extra_keys)
    slash_hits: set = set()
    for k, e in gt_by_key.items():
        if k in r.matched:
            continue
        alt = (k[0], toggle_slash(k[1]))
        alt_any = ("*", toggle_slash(k[1]))
        hit = alt if alt in extra_set else alt_any if alt_any in extra_set else None
        if hit is not None:
            r.slash_only.append((e, found_by_key[hit]))
            slash_hits.add(hit)
        else:
            r.missing.append(e)
    r.extra = [found_by_key[k] for k in extra_keys if k not in slash_hits]
    r.slash_extra = [found_by_key[k] for k in extra_keys if k in slash_hits]
    key = lambda e: (e["path"], e["method"])  # noqa: E731
    r.missing.sort(key=key)
    r.extra.sort(key=key)
    r.slash_only.sort(key=lambda pair: key(pair[0]))
    return r


# ----------------------------------------------------------------------------- report
def pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def fmt_ep(e: dict) -> str:
    loc = ""
    if e.get("file"):
        loc = f"  ({e['file']}" + (f":{e['line']}" if e.get("line") else "") + ")"
    origin = f"  [{e['origin']}]" if e.get("origin") not in (None, "app") else ""
    return f"{e['method']:7} {e['path']}{origin}{loc}"


def print_detail(r: Result, out=sys.stdout) -> None:
    w = out.write
    w(f"== {r.name}\n")
    if r.error:
        w(f"   ERROR: {r.error}\n")
        return
    if r.note:
        w(f"   note: {r.note}\n")
    w(
        f"   ground truth {r.gt_total} (app-origin {r.gt_app_total}), analyser {r.found_total}, "
        f"matched {len(r.matched)}\n"
    )
    w(
        f"   recall {pct(r.recall)}   recall(app) {pct(r.recall_app)}   "
        f"recall(slash-insensitive) {pct(r.recall_loose)}   precision {pct(r.precision)}\n"
    )
    if r.missing:
        w(f"   missing ({len(r.missing)}):\n")
        for e in r.missing:
            w(f"     - {fmt_ep(e)}\n")
    if r.slash_only:
        w(f"   trailing-slash mismatches ({len(r.slash_only)}):  ground truth -> analyser\n")
        for g, f in r.slash_only:
            w(f"     ~ {g['method']:7} {g['path']}  ->  {f['method']} {f['path']}\n")
    if r.extra:
        w(f"   extra ({len(r.extra)}):\n")
        for e in r.extra:
            w(f"     + {fmt_ep(e)}\n")


def markdown_table(results: list[Result]) -> str:
    head = (
        "| app | ground truth | analyser | matched | recall | recall (app) | slash-only | "
        "precision | missing | extra |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    )
    rows = []
    for r in results:
        if r.error:
            err = r.error.replace("|", "/")[:120]
            rows.append(f"| {r.name} | {r.gt_total} | error | | | | | | | {err} |")
            continue
        rows.append(
            f"| {r.name} | {r.gt_total} | {r.found_total} | {len(r.matched)} | {pct(r.recall)} | "
            f"{pct(r.recall_app)} | {len(r.slash_only)} | {pct(r.precision)} | {len(r.missing)} | "
            f"{len(r.extra)} |"
        )
    ok = [r for r in results if not r.error]
    if ok:
        gt = sum(r.gt_total for r in ok)
        found = sum(r.found_total for r in ok)
        matched = sum(len(r.matched) for r in ok)
        gt_app = sum(r.gt_app_total for r in ok)
        m_app = sum(r.matched_app for r in ok)
        extra = sum(len(r.extra) for r in ok)
        slash = sum(len(r.slash_only) for r in ok)
        slash_found = sum(len(r.slash_extra) for r in ok)
        rows.append(
            f"| **total** | {gt} | {found} | {matched} | {pct(matched / gt if gt else None)} | "
            f"{pct(m_app / gt_app if gt_app else None)} | {slash} | "
            f"{pct((found - extra - slash_found) / found if found else None)} | "
            f"{sum(len(r.missing) for r in ok)} | {extra} |"
        )
    return head + "\n".join(rows) + "\n"


def evaluate(name, scan_dir: Path, gt_path: Path, only_files, python, timeout, scan_json=None) -> Result:
    try:
        gt = load_ground_truth(gt_path)
    except (OSError, ValueError, KeyError) as exc:
        return Result(name=name, error=f"ground truth {gt_path}: {exc}")
    try:
        if scan_json:
            doc = json.loads(Path(scan_json).read_text())
        else:
            if not scan_dir.is_dir():
                raise RuntimeError(f"{scan_dir} does not exist (see scripts/fetch_realapps.md)")
            doc = run_scan(scan_dir, python, timeout)
        found = scan_endpoints(doc, tuple(only_files))
    except (RuntimeError, OSError, ValueError) as exc:
        r = Result(name=name, error=str(exc))
        r.gt_total = len({(e["method"], norm_path(e["path"])) for e in gt})
        return r
    r = compare(name, gt, found)
    if only_files:
        r.note = "only endpoints from files ending in " + ", ".join(only_files)
    return r


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("app_dir", nargs="?", help="directory to scan")
    ap.add_argument("ground_truth", nargs="?", help="ground-truth JSON file")
    ap.add_argument("--all", action="store_true", help="run every app in the built-in table")
    ap.add_argument("--realapps", default=os.environ.get("REALAPPS", "/tmp/realapps"))
    ap.add_argument("--only-file", action="append", default=[], help="keep endpoints from files ending so")
    ap.add_argument("--scan-json", help="use this scan output instead of running the analyser")
    ap.add_argument("--python", default=sys.executable, help="interpreter that runs seamline.cli")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--json", action="store_true", help="machine-readable summary instead of text")
    ap.add_argument("-v", "--verbose", action="store_true", help="with --all: also print details")
    args = ap.parse_args(argv)

    results: list[Result] = []
    if args.all:
        root = Path(args.realapps)
        for name, repo, sub, gt_file, only in APPS:
            scan_dir = root / repo / sub if sub else root / repo
            results.append(evaluate(name, scan_dir, GT_DIR / gt_file, only, args.python, args.timeout))
    else:
        if not (args.app_dir and args.ground_truth):
            ap.error("give APP_DIR GROUND_TRUTH, or --all")
        gt_path = Path(args.ground_truth)
        name = gt_path.stem
        results.append(
            evaluate(
                name, Path(args.app_dir), gt_path, args.only_file, args.python, args.timeout, args.scan_json
            )
        )

    if args.json:
        json.dump(
            [
                {
                    "app": r.name,
                    "error": r.error,
                    "ground_truth": r.gt_total,
                    "analyser": r.found_total,
                    "matched": len(r.matched),
                    "recall": r.recall,
                    "recall_app": r.recall_app,
                    "recall_slash_insensitive": r.recall_loose,
                    "precision": r.precision,
                    "missing": r.missing,
                    "extra": r.extra,
                    "slash_only": [{"ground_truth": g, "analyser": f} for g, f in r.slash_only],
                }
                for r in results
            ],
            sys.stdout,
            indent=1,
            default=str,
        )
        sys.stdout.write("\n")
    elif args.all:
        sys.stdout.write(markdown_table(results))
        if args.verbose:
            sys.stdout.write("\n")
            for r in results:
                print_detail(r)
    else:
        print_detail(results[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
