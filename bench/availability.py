#!/usr/bin/env python3
"""Availability with a frozen acceptor: runs gryadka-bench --fault cases and prints their medians.

Every run spawns a fresh local cluster (gryadka-bench --spawn: 3 redis-server with appendfsync
always + 2 gryadka-proposer), loads it for --duration_s seconds and, --fault_at_s seconds into
that window, freezes one redis-server (SIGSTOP) for --fault_duration_s seconds, then thaws it
(SIGCONT). From its per-millisecond timeline of successful operations, gryadka-bench reports the
throughput before the fault ("healthy"), during it ("fault"), their ratio, and the longest stretch
with no successful operation from the fault start to the end of the window ("longest gap").

The table shows, per case and build, the median over --repeat runs of each column on its own,
and every run's ratio and gap. Runs are interleaved (repeat 1 of every case and build, then
repeat 2, ...) so that a busy moment of the machine does not land on one build only.

Usage: bench/availability.py [--build_dir=DIR] [--build=LABEL=PROPOSER_BIN ...] [--repeat=N]
                             [--only=CASE,...] [--fault=freeze_acceptor|kill_acceptor]
                             [--duration_s=S] [--fault_at_s=S] [--fault_duration_s=S]
                             [--raw=FILE] [--from_raw=FILE]
  --build_dir   where bin/gryadka-bench is (default: build)
  --build       a gryadka-proposer binary to measure, with a label; repeat the flag to compare
                builds side by side (default: the proposer next to gryadka-bench, "current")
  --only        run only these cases (names from the first column)
  --raw         append every run's result to FILE (one JSON object per line, with "case" and
                "build")
  --from_raw    run nothing: print the table of the runs saved in FILE by --raw
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

# name -> (description, gryadka-bench flags). The cases: 2 proposers without key
# affinity on 10 hot keys (increments and CAS), and 1,000 keys with affinity.
CASES = [
    ("hot10-random-incr", "10 hot keys, increments, 2 proposers, --routing=random",
     ["--workload=incr", "--keys=10", "--proposers=2", "--routing=random"]),
    ("hot10-random-cas", "10 hot keys, Get+CAS, 2 proposers, --routing=random",
     ["--workload=cas", "--keys=10", "--proposers=2", "--routing=random"]),
    ("keys1k-affine-incr", "1,000 keys, increments, 2 proposers, --routing=affine",
     ["--workload=incr", "--keys=1000", "--proposers=2", "--routing=affine"]),
]
COMMON = ["--spawn", "--concurrency=64", "--warmup_s=1", "--fault_acceptor=0", "--report_cpu"]
RUN_TIMEOUT_S_MAX = 300  # one gryadka-bench run, including the cluster's start and stop


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build_dir", default="build")
    p.add_argument("--build", action="append", default=[], metavar="LABEL=PROPOSER_BIN")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--only", default="")
    p.add_argument("--fault", default="freeze_acceptor", choices=["freeze_acceptor", "kill_acceptor"])
    p.add_argument("--duration_s", type=float, default=12)
    p.add_argument("--fault_at_s", type=float, default=4)
    p.add_argument("--fault_duration_s", type=float, default=4)
    p.add_argument("--raw", default="")
    p.add_argument("--from_raw", default="")
    a = p.parse_args()
    if not 1 <= a.repeat <= 20:
        p.error("--repeat must be in 1..20")
    names = [c[0] for c in CASES]
    a.only = [s for s in a.only.split(",") if s]
    for s in a.only:
        if s not in names:
            p.error(f"--only: unknown case '{s}' (cases: {', '.join(names)})")
    builds = []
    for b in a.build:
        label, sep, path = b.partition("=")
        if not sep or not label or not path:
            p.error(f"--build: '{b}' is not LABEL=PROPOSER_BIN")
        if not os.access(path, os.X_OK):
            p.error(f"--build: {path} is not an executable file")
        builds.append((label, path))
    a.builds = builds or [("current", "")]
    return a


def run_once(args, bench, case, build):
    name, _, flags = case
    label, proposer_bin = build
    cmd = [bench] + COMMON + flags + [
        f"--fault={args.fault}", f"--duration_s={args.duration_s}",
        f"--fault_at_s={args.fault_at_s}", f"--fault_duration_s={args.fault_duration_s}"]
    if proposer_bin:
        cmd.append(f"--proposer_bin={proposer_bin}")
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                         timeout=RUN_TIMEOUT_S_MAX)
    if out.returncode != 0:
        sys.exit(f"availability.py: {name} ({label}) exited with {out.returncode}:\n{out.stdout}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["case"] = name
    result["build"] = label
    print(f"  {name} [{label}]: healthy {result['healthy_ops_per_s']:.0f} ops/s, fault "
          f"{result['fault_ops_per_s']:.0f} ops/s, ratio {result['fault_throughput_ratio']:.3f}, "
          f"longest gap {result['longest_gap_ms']} ms", file=sys.stderr, flush=True)
    return result


def print_table(results):
    print("| case | build | healthy ops/s | fault ops/s | after ops/s | fault/healthy | "
          "longest gap ms | gap before the fault ms | fault p99 ms | errors | others' CPU cores | "
          "ratio, gap ms of each run |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    keys = []
    for r in results:
        if (r["case"], r["build"]) not in keys:
            keys.append((r["case"], r["build"]))
    for case, build in keys:
        runs = [r for r in results if r["case"] == case and r["build"] == build]

        def med(k):
            return statistics.median(r[k] for r in runs)

        others = statistics.median(others_cores(r) for r in runs)
        each = ", ".join(f"{r['fault_throughput_ratio']:.2f} / {r['longest_gap_ms']}" for r in runs)
        print(f"| {case} | {build} | {med('healthy_ops_per_s'):,.0f} | {med('fault_ops_per_s'):,.0f} | "
              f"{med('after_ops_per_s'):,.0f} | {med('fault_throughput_ratio'):.2f} | "
              f"{med('longest_gap_ms'):.0f} | {med('healthy_longest_gap_ms'):.0f} | "
              f"{med('fault_p99_ms'):.1f} | {med('errors'):.0f} | {others:.2f} | {each} |")


def others_cores(r):
    """CPU cores used by processes the run did not start (machine busy - ours), if recorded."""
    cpu = r.get("cpu_cores", {})
    if "machine" not in cpu:
        return float("nan")
    return max(0.0, cpu["machine"] - sum(v for k, v in cpu.items() if k != "machine"))


def main():
    args = parse_args()
    if args.from_raw:
        with open(args.from_raw) as f:
            print_table([json.loads(line) for line in f if line.strip()])
        return
    bench = os.path.join(args.build_dir, "bin", "gryadka-bench")
    if not os.access(bench, os.X_OK):
        sys.exit(f"availability.py: {bench} is not built (cmake --build {args.build_dir} "
                 "--target gryadka-bench gryadka-proposer)")
    cases = [c for c in CASES if not args.only or c[0] in args.only]
    results = []
    for _ in range(args.repeat):
        for case in cases:
            for build in args.builds:
                r = run_once(args, bench, case, build)
                results.append(r)
                if args.raw:
                    with open(args.raw, "a") as f:
                        f.write(json.dumps(r) + "\n")
    print_table(results)


if __name__ == "__main__":
    main()
