#!/usr/bin/env python3
"""Reads the three load generators' outputs for bench/compare and prints the side-by-side table.

Each run becomes one JSON line (the `pgbench`, `redis` and `libra` commands, appended by
bench/compare to results.jsonl); `table` takes the medians over rounds, prints the table with
ratios and the targets of ../shared/DESIGN.md, and ends with one JSON line holding every figure.
"""
import argparse
import csv
import datetime
import io
import json
import os
import platform
import re
import statistics
import sys

# The design's targets for Libra (DESIGN.md, "Targets").
TARGET_VS_POSTGRES = 10.0
TARGET_VS_REDIS = 2.0
TARGET_BATCHED_CYCLES_PER_SEC = 500_000
TARGET_P99_MS = 2.0

SYSTEM_ORDER = {"postgres": 0, "redis": 1, "libra": 2}
RUN_ORDER = {"clients": 0, "pipelined": 1, "batched": 2}
SYSTEM_NAMES = {"postgres": "PostgreSQL", "redis": "Redis", "libra": "Libra"}


def percentile(sorted_values, fraction):
    """Nearest rank: the smallest value with at least `fraction` of all values at or below it."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * fraction // 1))
    return sorted_values[int(rank) - 1]


def emit(record):
    print(json.dumps(record, separators=(",", ":")))


def seconds(text):
    """`times` prints 0m1.234s."""
    minutes, rest = text.rstrip("s").split("m")
    return int(minutes) * 60 + float(rest)


def cost(text, cycles_per_sec):
    """What a run cost the machine, from bench/compare's `measured`: the load generator's cores,
    the whole machine's busy cores, and the rest (the server, and anything else running) per cycle."""
    began, ended, user, system, busy_before, total_before, busy_after, total_after, cores = text.split()
    wall = float(ended) - float(began)
    client = (seconds(user) + seconds(system)) / wall
    busy = (int(busy_after) - int(busy_before)) / max(1, int(total_after) - int(total_before)) * int(cores)
    return {
        "client_cores": round(client, 3),
        "machine_busy_cores": round(busy, 3),
        "server_cpu_us_per_cycle": round(max(0.0, busy - client) / cycles_per_sec * 1e6, 2) if cycles_per_sec else None,
    }


def loans(before, after, cycles):
    """Loans made per cycle, and returns per cycle (made minus the growth of active loans)."""
    made_before, active_before = (int(value) for value in before.split())
    made_after, active_after = (int(value) for value in after.split())
    made = made_after - made_before
    returned = made - (active_after - active_before)
    return {"loan_share": made / cycles if cycles else None, "returns_per_cycle": returned / cycles if cycles else None}


def read_pgbench(arguments):
    text = open(arguments.output).read()
    tps = float(re.search(r"^tps = ([0-9.]+)", text, re.M).group(1))
    mean = float(re.search(r"^latency average = ([0-9.]+) ms", text, re.M).group(1))
    failed = re.search(r"^number of failed transactions: (\d+)", text, re.M)
    retried = re.search(r"^number of transactions retried: (\d+)", text, re.M)
    processed = int(re.search(r"^number of transactions actually processed: (\d+)", text, re.M).group(1))
    latencies = []
    for path in arguments.logs:
        with open(path) as log:
            for line in log:
                fields = line.split()
                # client transaction time script epoch microseconds [lag] [retries]; time may be "failed".
                if len(fields) >= 6 and fields[2].isdigit():
                    latencies.append(int(fields[2]))
    latencies.sort()
    milliseconds = lambda micros: None if micros is None else micros / 1000
    emit({
        "system": "postgres", "run": "clients", "round": arguments.round,
        "label": "pgbench, plpgsql cycle()",
        "cycles_per_sec": tps, "mean_ms": mean,
        "p50_ms": milliseconds(percentile(latencies, 0.50)), "p99_ms": milliseconds(percentile(latencies, 0.99)),
        "p999_ms": milliseconds(percentile(latencies, 0.999)), "max_ms": milliseconds(latencies[-1] if latencies else None),
        "cycles": processed, "failed": int(failed.group(1)) if failed else 0,
        "retried": int(retried.group(1)) if retried else 0,
        **loans(arguments.loans_before, arguments.loans_after, processed),
        **cost(arguments.cost, tps),
    })


def redis_row(text):
    rows = [row for row in csv.reader(io.StringIO(text)) if row and row[0] != "test"]
    if not rows:
        raise SystemExit("no CSV row in redis-benchmark's output:\n" + text)
    row = rows[-1]
    # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
    return {"rps": float(row[1]), "mean": float(row[2]), "p50": float(row[4]), "p99": float(row[6]), "max": float(row[7])}


def read_redis(arguments):
    row = redis_row(sys.stdin.read())
    pipelined = arguments.pipeline > 1
    emit({
        "system": "redis", "run": "pipelined" if pipelined else "clients", "round": arguments.round,
        "label": f"redis-benchmark, EVALSHA, pipeline {arguments.pipeline}" if pipelined else "redis-benchmark, EVALSHA",
        "pipeline": arguments.pipeline,
        "cycles_per_sec": row["rps"], "mean_ms": row["mean"], "p50_ms": row["p50"], "p99_ms": row["p99"],
        "max_ms": row["max"], "cycles": arguments.requests,
        **loans(arguments.loans_before, arguments.loans_after, arguments.requests),
        **cost(arguments.cost, row["rps"]),
    })


def read_redis_rate(_):
    print(int(redis_row(sys.stdin.read())["rps"]))


def read_libra(arguments):
    lines = [line for line in sys.stdin.read().splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit("no JSON line from libra-bench load")
    load = json.loads(lines[-1])
    batched = load["in_flight"] > 1 or load["batch"] > 1
    refused = sum(load["errors"].values())
    cycles = load["cycles_per_sec"] * load["duration_s"]
    emit({
        "system": "libra", "run": "batched" if batched else "clients", "round": arguments.round,
        "label": f"libra-bench load, {load['in_flight']} in flight x {load['batch']} per frame" if batched else "libra-bench load",
        "in_flight": load["in_flight"], "batch": load["batch"],
        "cycles_per_sec": load["cycles_per_sec"], "mean_ms": None,
        "p50_ms": load["p50_ms"], "p99_ms": load["p99_ms"], "p999_ms": load["p999_ms"], "max_ms": load["max_ms"],
        "cycles": round(cycles), "refusals": load["errors"],
        # Every refusal is a checkout's (no copy, already held): returns of the oldest loan succeed.
        "loan_share": 1 - refused / cycles if cycles else None,
        "returns_per_cycle": load["commands_per_sec"] / load["cycles_per_sec"] - 1 if load["cycles_per_sec"] else None,
        **cost(arguments.cost, load["cycles_per_sec"]),
    })


def summary(arguments):
    record = json.loads(arguments.line)
    print(f"{record['label']}: {record['cycles_per_sec']:,.0f} cycles/s, p50 {record['p50_ms']:.2f} ms, "
          f"p99 {record['p99_ms']:.2f} ms; per cycle {record['returns_per_cycle']:.2f} returns, "
          f"{record['loan_share']:.2f} loans made; client {record['client_cores']:.2f} cores, "
          f"machine {record['machine_busy_cores']:.2f} cores busy")


def median_of(records, key):
    values = [record[key] for record in records if record.get(key) is not None]
    return statistics.median(values) if values else None


def combine(records):
    """One entry per system and run: medians over rounds, with every round's figures kept."""
    groups = {}
    for record in records:
        groups.setdefault((record["system"], record["run"]), []).append(record)
    entries = []
    for (system, run), group in sorted(groups.items(), key=lambda item: (SYSTEM_ORDER[item[0][0]], RUN_ORDER[item[0][1]])):
        group.sort(key=lambda record: record["round"])
        entry = {"system": system, "run": run, "label": group[0]["label"]}
        for key in ("cycles_per_sec", "p50_ms", "p99_ms", "p999_ms", "mean_ms", "returns_per_cycle", "loan_share",
                    "client_cores", "machine_busy_cores", "server_cpu_us_per_cycle"):
            entry[key] = median_of(group, key)
        entry["rounds"] = [{key: record.get(key) for key in ("cycles_per_sec", "p50_ms", "p99_ms")} for record in group]
        for key in ("failed", "retried"):  # pgbench's deadlock and serialization failures, over all rounds
            if any(key in record for record in group):
                entry[key] = sum(record.get(key, 0) for record in group)
        entries.append(entry)
    return entries


def format_ms(value):
    return "-" if value is None else f"{value:.2f}"


def table(arguments):
    records = [json.loads(line) for line in open(arguments.results) if line.strip()]
    if not records:
        raise SystemExit("no runs recorded")
    entries = combine(records)
    find = lambda system, run: next((entry for entry in entries if entry["system"] == system and entry["run"] == run), None)
    postgres, redis, redis_pipelined = find("postgres", "clients"), find("redis", "clients"), find("redis", "pipelined")
    libra, libra_batched = find("libra", "clients"), find("libra", "batched")

    def ratio(entry, base):
        return entry["cycles_per_sec"] / base["cycles_per_sec"] if entry and base and base["cycles_per_sec"] else None

    for entry in entries:
        entry["vs_postgres"] = ratio(entry, postgres)
        entry["vs_redis"] = ratio(entry, redis)

    connections = arguments.connections
    run_names = {
        "clients": f"{connections} clients x 1",
        "pipelined": f"{connections} clients, pipelined",
        "batched": f"{connections} conns, batched",
    }
    header = ("system", "run", "cycles/s", "p50 ms", "p99 ms", "returns", "loans", "client cores", "server us/cycle",
              "x PostgreSQL", "x Redis")
    number = lambda value, digits=2: "-" if value is None else f"{value:.{digits}f}"
    rows = []
    for entry in entries:
        rows.append((
            SYSTEM_NAMES[entry["system"]], run_names[entry["run"]], f"{entry['cycles_per_sec']:,.0f}",
            format_ms(entry["p50_ms"]), format_ms(entry["p99_ms"]),
            number(entry["returns_per_cycle"]), number(entry["loan_share"]),
            number(entry["client_cores"]), number(entry["server_cpu_us_per_cycle"], 1),
            number(entry["vs_postgres"]), number(entry["vs_redis"]),
        ))
    widths = [max(len(str(row[column])) for row in rows + [header]) for column in range(len(header))]
    line = lambda cells: "  ".join(str(cell).ljust(width) if column < 2 else str(cell).rjust(width)
                                   for column, (cell, width) in enumerate(zip(cells, widths)))
    print(f"Checkout cycles, {arguments.items:,} items x 3 copies, {arguments.members:,} members, "
          f"{connections} clients, medians of {arguments.rounds} round(s) of {arguments.duration} s; durable acknowledgement")
    print(line(header))
    print(line(["-" * width for width in widths]))
    for row in rows:
        print(line(row))
    print("returns, loans: per cycle. client cores: the load generator's CPU. server us/cycle: the rest of the "
          "machine's busy CPU (the server, and anything else running) per cycle.")
    print("runs: " + "; ".join(f"{SYSTEM_NAMES[entry['system']]} {run_names[entry['run']]}: {entry['label']}" for entry in entries))

    targets = {}
    if libra and postgres:
        targets["libra_vs_postgres"] = {"target": TARGET_VS_POSTGRES, "measured": ratio(libra, postgres)}
    if libra and redis:
        targets["libra_vs_redis"] = {"target": TARGET_VS_REDIS, "measured": ratio(libra, redis)}
    if libra_batched:
        targets["libra_batched_cycles_per_sec"] = {"target": TARGET_BATCHED_CYCLES_PER_SEC, "measured": libra_batched["cycles_per_sec"]}
    if libra:
        targets["libra_p99_ms"] = {"target": TARGET_P99_MS, "measured": libra["p99_ms"], "at_most": True}
    for name, target in targets.items():
        measured = target["measured"]
        target["met"] = measured is not None and (measured <= target["target"] if target.get("at_most") else measured >= target["target"])
        print(f"target {name}: {'met' if target['met'] else 'NOT met'} "
              f"(measured {measured:,.2f}, target {'<=' if target.get('at_most') else '>='} {target['target']:,})")
    if libra_batched and redis_pipelined:
        print(f"Libra batched vs Redis pipelined: {ratio(libra_batched, redis_pipelined):.2f}x")

    result = {
        "workload": "compare",
        "date": datetime.date.today().isoformat(),
        "machine": {"cores": os.cpu_count(), "kernel": platform.release(), "load_average_at_end": open("/proc/loadavg").read().split()[:3]},
        "versions": dict(pair.split("=", 1) for pair in arguments.versions.split()) if arguments.versions else {},
        "items": arguments.items, "copies": 3, "members": arguments.members, "loan_limit": 5,
        "connections": connections, "duration_s": arguments.duration, "rounds": arguments.rounds,
        "results": entries,
        "libra_batched_vs_redis_pipelined": ratio(libra_batched, redis_pipelined),
        "targets": targets,
    }
    text = json.dumps(result, separators=(",", ":"))
    print(text)
    if arguments.json:
        with open(arguments.json, "w") as output:
            output.write(text + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    pgbench = commands.add_parser("pgbench", help="pgbench's summary and per-transaction logs -> one JSON line")
    pgbench.add_argument("--round", type=int, required=True)
    pgbench.add_argument("--loans-before", required=True, help='"made active": loans made so far, active now')
    pgbench.add_argument("--loans-after", required=True)
    pgbench.add_argument("--cost", required=True, help="bench/compare's measured cost line")
    pgbench.add_argument("--output", required=True, help="pgbench's printed summary")
    pgbench.add_argument("logs", nargs="*", help="pgbench -l files (client, transaction, microseconds, ...)")
    pgbench.set_defaults(handler=read_pgbench)

    redis = commands.add_parser("redis", help="redis-benchmark --csv on stdin -> one JSON line")
    redis.add_argument("--round", type=int, required=True)
    redis.add_argument("--pipeline", type=int, required=True)
    redis.add_argument("--loans-before", required=True)
    redis.add_argument("--loans-after", required=True)
    redis.add_argument("--cost", required=True)
    redis.add_argument("--requests", type=int, required=True)
    redis.set_defaults(handler=read_redis)

    commands.add_parser("redis-rate", help="requests/s from redis-benchmark --csv on stdin").set_defaults(handler=read_redis_rate)

    libra = commands.add_parser("libra", help="libra-bench load's JSON line on stdin -> one JSON line")
    libra.add_argument("--round", type=int, required=True)
    libra.add_argument("--cost", required=True)
    libra.set_defaults(handler=read_libra)

    line = commands.add_parser("summary", help="one run's JSON line -> one readable line")
    line.add_argument("line")
    line.set_defaults(handler=summary)

    report = commands.add_parser("table", help="results.jsonl -> table and the final JSON line")
    for name in ("items", "members", "connections", "duration", "rounds"):
        report.add_argument(f"--{name}", type=int, required=True)
    report.add_argument("--versions", default="", help='e.g. "postgres=15.18 redis=7.0.15 libra=abc1234"')
    report.add_argument("--json", help="also write the final JSON line here")
    report.add_argument("results")
    report.set_defaults(handler=table)

    arguments = parser.parse_args()
    arguments.handler(arguments)


if __name__ == "__main__":
    main()
