#!/usr/bin/env python3
"""Times small appends + fdatasync on the disk that holds --dir, as the log writes them.

Two measurements (docs/benchmarks.md, "Tried, not kept (sixth session)"):
  concurrent  1, 2 and 3 threads each appending --bytes and calling fdatasync on one file
              reserved with posix_fallocate: syncs per second and latency;
  rewrite     the same appends, one thread, into blocks the first pass already wrote.
"""
import argparse, os, sys, threading, time

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--dir", default=".", help="directory on the disk to measure (default: .)")
parser.add_argument("--bytes", type=int, default=3000, help="bytes per append (default 3000, about one 64 x 1 commit)")
parser.add_argument("--syncs", type=int, default=3000, help="appends + fdatasyncs per measurement (default 3000)")
args = parser.parse_args()
if not (1 <= args.bytes <= 1 << 20 and 1 <= args.syncs <= 1_000_000):
    sys.exit("--bytes 1...1048576, --syncs 1...1000000")

path = os.path.join(args.dir, "fdatasync-probe.tmp")
size = args.bytes * args.syncs
fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
try:
    os.posix_fallocate(fd, 0, size)
    os.fsync(fd)
    block = b"x" * args.bytes

    def run(threads):
        lock, latencies, next_offset = threading.Lock(), [], [0]

        def worker(count):
            for _ in range(count):
                with lock:
                    offset = next_offset[0]
                    next_offset[0] += args.bytes
                began = time.perf_counter()
                os.pwrite(fd, block, offset)
                os.fdatasync(fd)
                latencies.append(time.perf_counter() - began)

        each = args.syncs // threads
        workers = [threading.Thread(target=worker, args=(each,)) for _ in range(threads)]
        began = time.perf_counter()
        for w in workers: w.start()
        for w in workers: w.join()
        elapsed = time.perf_counter() - began
        latencies.sort()
        n = len(latencies)
        return n / elapsed, 1e3 * latencies[n // 2], 1e3 * latencies[min(n - 1, int(n * 0.99))]

    for threads in (1, 2, 3):
        # Each measurement starts on fresh reserved blocks.
        os.ftruncate(fd, 0); os.posix_fallocate(fd, 0, size); os.fsync(fd)
        rate, p50, p99 = run(threads)
        print(f"concurrent {threads} thread(s): {rate:,.0f} syncs/s, p50 {p50:.3f} ms, p99 {p99:.3f} ms", flush=True)
    rate, p50, p99 = run(1)  # the blocks the last pass wrote
    print(f"rewrite    1 thread:    {rate:,.0f} syncs/s, p50 {p50:.3f} ms, p99 {p99:.3f} ms")
finally:
    os.close(fd)
    os.unlink(path)
