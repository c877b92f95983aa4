#!/usr/bin/env python3
"""Draws bench/compare's final JSON line: throughput and p99 latency per system and run.

usage: chart.py --output docs/compare.svg compare.json   (the file holds the JSON line; - reads stdin)
"""
import argparse
import json
import sys

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["svg.fonttype"] = "none"   # text stays text: a small SVG that reads in any viewer
matplotlib.rcParams["svg.hashsalt"] = "libra"  # stable ids, so a redraw of the same figures diffs clean
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

COLORS = {"postgres": "#336791", "redis": "#d82c20", "libra": "#2a9d5c"}
NAMES = {"postgres": "PostgreSQL", "redis": "Redis", "libra": "Libra"}


def run_name(entry, connections):
    return {
        "clients": f"{connections} clients\n1 in flight",
        "pipelined": f"{connections} clients\npipeline",
        "batched": f"{connections} conns\nbatched frames",
    }[entry["run"]]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", required=True, help=".svg or .png")
    parser.add_argument("input", help="a file holding bench/compare's final JSON line, or -")
    arguments = parser.parse_args()
    text = sys.stdin.read() if arguments.input == "-" else open(arguments.input).read()
    result = json.loads([line for line in text.splitlines() if line.startswith("{")][-1])
    entries = result["results"]
    connections = result["connections"]

    labels = [f"{NAMES[entry['system']]}\n{run_name(entry, connections)}" for entry in entries]
    colors = [COLORS[entry["system"]] for entry in entries]
    positions = range(len(entries))

    figure, (throughput, latency, work) = plt.subplots(1, 3, figsize=(15, 5.6), gridspec_kw={"width_ratios": [5, 4, 4]})
    figure.suptitle(
        f"Durable checkout cycles: {result['items']:,} items x {result['copies']} copies, {result['members']:,} members at the "
        f"loan limit, {connections} clients\n{result['date']}, {result['machine']['cores']} cores shared by client and server; "
        f"medians of {result['rounds']} rounds of {result['duration_s']} s (dots: each round)", fontsize=10)
    short_labels = [label.replace("\n", " ", 1) for label in labels]

    values = [entry["cycles_per_sec"] for entry in entries]
    throughput.bar(positions, values, color=colors)
    for position, entry in zip(positions, entries):
        rounds = [round_["cycles_per_sec"] for round_ in entry["rounds"]]
        throughput.scatter([position] * len(rounds), rounds, color="black", s=8, zorder=3)
        ratio = entry.get("vs_postgres")
        text = f"{entry['cycles_per_sec']:,.0f}" + (f"\n{ratio:.1f}x PG" if ratio and entry["system"] != "postgres" else "")
        throughput.annotate(text, (position, max(rounds + [entry["cycles_per_sec"]])), textcoords="offset points",
                            xytext=(0, 4), ha="center", va="bottom", fontsize=8)
    throughput.set_yscale("log")
    throughput.set_ylim(min(values) / 3, max(max(values), 500_000) * 4)
    throughput.axhline(500_000, color="gray", linestyle="--", linewidth=0.8)
    throughput.text(-0.5, 500_000, " target, batched: 500,000", ha="left", va="bottom", fontsize=7, color="gray")
    throughput.set_xticks(list(positions), labels, fontsize=8)
    throughput.set_ylabel("cycles per second (log scale)")
    throughput.set_title("Throughput", fontsize=10)

    p99 = [entry["p99_ms"] for entry in entries]
    latency.bar(positions, p99, color=colors)
    for position, entry in zip(positions, entries):
        rounds = [round_["p99_ms"] for round_ in entry["rounds"]]
        latency.scatter([position] * len(rounds), rounds, color="black", s=8, zorder=3)
        latency.annotate(f"{entry['p99_ms']:.2f}", (position, max(rounds + [entry["p99_ms"]])), textcoords="offset points",
                         xytext=(0, 3), ha="center", va="bottom", fontsize=8)
    latency.set_yscale("log")
    latency.set_ylim(min(min(p99), 2.0) / 3, max(p99) * 3)
    latency.axhline(2.0, color="gray", linestyle="--", linewidth=0.8)
    latency.text(-0.5, 2.0, " target: 2 ms", ha="left", va="bottom", fontsize=7, color="gray")
    latency.set_xticks(list(positions), short_labels, fontsize=7, rotation=30, ha="right")
    latency.set_ylabel("p99 latency, ms (log scale; per request or frame)")
    latency.set_title("p99 latency", fontsize=10)

    cpu = [entry.get("server_cpu_us_per_cycle") or 0 for entry in entries]
    work.bar(positions, cpu, color=colors)
    for position, value in zip(positions, cpu):
        work.annotate(f"{value:.0f}", (position, value), textcoords="offset points", xytext=(0, 3),
                      ha="center", va="bottom", fontsize=8)
    work.set_yscale("log")
    work.set_ylim(max(0.5, min(value for value in cpu if value > 0) / 3) if any(cpu) else 0.5, max(cpu + [1]) * 3)
    work.set_xticks(list(positions), short_labels, fontsize=7, rotation=30, ha="right")
    work.set_ylabel("server CPU per cycle, microseconds (log scale)")
    work.set_title("CPU per cycle (machine busy minus the load generator)", fontsize=10)

    figure.tight_layout()
    figure.savefig(arguments.output, metadata={"Date": None} if arguments.output.endswith(".svg") else None)


if __name__ == "__main__":
    main()
