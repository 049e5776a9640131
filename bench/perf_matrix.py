#!/usr/bin/env python3
"""Runs the gryadka-bench measurements of docs/performance.md and prints their medians.

Each case runs REPEAT times (default 3) against a fresh spawned cluster (gryadka-bench --spawn:
3 redis-server with appendfsync always + gryadka-proposer, all on this machine); the table shows
the median run by ops/s (latencies and CPU of that same run) and every run's ops/s.

Usage: bench/perf_matrix.py [--build_dir=DIR] [--repeat=N] [--duration_s=S] [--only=NAME,...]
                            [--rss] [--raw=FILE] [--from_raw=FILE]
  --build_dir   where bin/gryadka-bench is (default: build-bench, then build)
  --only        run only these cases (names from the first column)
  --rss         also run the memory cases (1,000,000 distinct keys; minutes each)
  --raw         append every run's result to FILE (one JSON object per line, with "case")
  --from_raw    run nothing: print the tables of the runs saved in FILE by --raw
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

# name -> (description, gryadka-bench flags)
CASES = [
    ("incr-c64-k1000", "increments, 64 concurrent, 1,000 keys",
     ["--workload=incr", "--concurrency=64", "--keys=1000"]),
    ("incr-c1-k1000", "increments, 1 client (concurrency 1), 1,000 keys",
     ["--workload=incr", "--concurrency=1", "--keys=1000"]),
    ("incr-c64-k1", "one hot key: increments, 64 concurrent, --keys=1",
     ["--workload=incr", "--concurrency=64", "--keys=1"]),
    ("read-c64-k1000", "reads (Get), 64 concurrent, 1,000 keys",
     ["--workload=read", "--concurrency=64", "--keys=1000"]),
    ("cas-c64-k1000", "CAS (Get + CompareAndSet), 64 concurrent, 1,000 keys",
     ["--workload=cas", "--concurrency=64", "--keys=1000"]),
    ("mixed-c64-k1000", "mixed:90/10 (Get/Put 16 B), 64 concurrent, 1,000 keys",
     ["--workload=mixed:90/10", "--concurrency=64", "--keys=1000"]),
    ("incr-c64-k1000-io2", "increments, 64 concurrent, 1,000 keys, --proposer_io_threads=2",
     ["--workload=incr", "--concurrency=64", "--keys=1000", "--proposer_io_threads=2"]),
    ("incr-c64-k1-io2", "one hot key, 64 concurrent, --proposer_io_threads=2",
     ["--workload=incr", "--concurrency=64", "--keys=1", "--proposer_io_threads=2"]),
    ("incr-c1-k1000-io2", "increments, concurrency 1, --proposer_io_threads=2",
     ["--workload=incr", "--concurrency=1", "--keys=1000", "--proposer_io_threads=2"]),
]

RSS_FLAGS = ["--workload=put", "--value_bytes=16", "--keys=1000000", "--key_order=sequential",
             "--max_ops=1000000", "--prefill=false", "--warmup_s=0", "--duration_s=3600",
             "--concurrency=64", "--report_rss"]
RSS_CASES = [
    ("rss-1M-keys-cache-1M", "put 16 B to 1,000,000 distinct keys, --cache_entries_max=1000000 (default)",
     RSS_FLAGS),
    ("rss-1M-keys-cache-100k", "put 16 B to 1,000,000 distinct keys, --cache_entries_max=100000",
     RSS_FLAGS + ["--proposer_flags=--cache_entries_max=100000"]),
]


def find_bench(build_dir):
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    candidates = [build_dir] if build_dir else [os.path.join(here, "build-bench"), os.path.join(here, "build")]
    for d in candidates:
        path = os.path.join(d, "bin", "gryadka-bench")
        if os.access(path, os.X_OK):
            return path
    sys.exit("perf_matrix.py: no bin/gryadka-bench under %s; build the gryadka-bench target" % candidates)


def run(bench, name, flags, raw):
    cmd = [bench, "--spawn", "--report_cpu"] + flags
    print("  $ " + " ".join(cmd), file=sys.stderr, flush=True)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.exit("perf_matrix.py: gryadka-bench failed (%d):\n%s" % (p.returncode, p.stderr))
    result = json.loads(p.stdout.strip().splitlines()[-1])
    result["case"] = name
    if raw:
        with open(raw, "a") as f:
            f.write(json.dumps(result) + "\n")
    return result


def cpu(r, prefix):
    return sum(v for k, v in r.get("cpu_cores", {}).items() if k.startswith(prefix))


def other_cpu(r):
    """Cores used by processes outside the benchmark (the machine is shared)."""
    ours = cpu(r, "proposer") + cpu(r, "redis") + cpu(r, "gryadka-bench")
    return max(0.0, r.get("cpu_cores", {}).get("machine", ours) - ours)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build_dir")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--duration_s", type=float, default=10)
    ap.add_argument("--warmup_s", type=float, default=2)
    ap.add_argument("--only", default="")
    ap.add_argument("--rss", action="store_true")
    ap.add_argument("--raw")
    ap.add_argument("--from_raw")
    args = ap.parse_args()
    if args.repeat < 1:
        sys.exit("perf_matrix.py: --repeat must be >= 1")
    if args.from_raw:
        by_case = {}
        with open(args.from_raw) as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    by_case.setdefault(r["case"], []).append(r)
        print_tables([(name, by_case[name]) for name, _, _ in CASES + RSS_CASES if name in by_case])
        return
    bench = find_bench(args.build_dir)
    only = set(filter(None, args.only.split(",")))
    cases = CASES + (RSS_CASES if args.rss else [])
    known = {c[0] for c in CASES + RSS_CASES}
    if only - known:
        sys.exit("perf_matrix.py: --only: unknown case(s) %s" % ", ".join(sorted(only - known)))
    results = []
    for name, desc, flags in cases:
        if only and name not in only:
            continue
        timing = [] if name.startswith("rss-") else [
            "--duration_s=%g" % args.duration_s, "--warmup_s=%g" % args.warmup_s]
        print("%s: %s" % (name, desc), file=sys.stderr, flush=True)
        results.append((name, [run(bench, name, flags + timing, args.raw) for _ in range(args.repeat)]))
    print_tables(results)


def print_tables(results):
    """results: [(case name, [run results])]; prints the medians as markdown tables."""
    rows = []
    for name, runs in results:
        runs = sorted(runs, key=lambda r: r["ops_per_s"])
        rows.append((name, runs[len(runs) // 2], runs))

    print("| case | ops/s (median) | p50 ms | p90 ms | p99 ms | p99.9 ms | mean ms (in proposer) |"
          " errors | CAS conflicts | 1-RTT share | CPU cores: proposer / 3 redis / bench / others |"
          " ops/s of each run |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for name, m, runs in rows:
        share = "n/a" if m["one_rtt_share"] is None else "%.3f" % m["one_rtt_share"]
        inside = "n/a" if m.get("proposer_mean_ms") is None else "%.3f" % m["proposer_mean_ms"]
        print("| %s | %.0f | %.3f | %.3f | %.3f | %.3f | %.3f (%s) | %d | %d | %s |"
              " %.2f / %.2f / %.2f / %.2f | %s |" % (
                  name, m["ops_per_s"], m["p50_ms"], m["p90_ms"], m["p99_ms"], m["p999_ms"],
                  m["mean_ms"], inside, m["errors"], m["conflicts"], share, cpu(m, "proposer"),
                  cpu(m, "redis"), cpu(m, "gryadka-bench"), other_cpu(m),
                  ", ".join("%.0f" % r["ops_per_s"] for r in runs)))
    rss_rows = [(n, m, runs) for n, m, runs in rows if n.startswith("rss-")]
    if rss_rows:
        print()
        print("| case | proposer VmRSS MiB (median) | VmHWM MiB | VmRSS at start MiB | cache entries |"
              " VmRSS of each run (MiB) |")
        print("|---|---:|---:|---:|---:|---|")
        for name, _, runs in rss_rows:
            runs.sort(key=lambda r: r["proposer_rss_kib"][0])
            m = runs[len(runs) // 2]
            print("| %s | %.1f | %.1f | %.1f | %d | %s |" % (
                name, m["proposer_rss_kib"][0] / 1024, m["proposer_hwm_kib"][0] / 1024,
                m["proposer_rss_start_kib"][0] / 1024, m.get("cache_entries", 0),
                ", ".join("%.1f" % (r["proposer_rss_kib"][0] / 1024) for r in runs)))


if __name__ == "__main__":
    main()
