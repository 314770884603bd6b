#!/usr/bin/python3
"""Read `redis-benchmark --csv` output on stdin (one test), print "rps p50 p99".

redis-benchmark 7 columns: "test","rps","avg_latency_ms","min_latency_ms",
"p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms".
Exits 1 if there is no data row.
"""
import csv
import sys


def main():
    rows = list(csv.reader(sys.stdin))
    if not rows:
        return 1
    header = rows[0]
    try:
        i_rps, i_p50, i_p99 = (header.index(c) for c in ("rps", "p50_latency_ms", "p99_latency_ms"))
    except ValueError:
        sys.stderr.write("unexpected redis-benchmark csv header: %r\n" % (header,))
        return 1
    for row in rows[1:]:
        if len(row) == len(header):
            print(row[i_rps], row[i_p50], row[i_p99])
            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
