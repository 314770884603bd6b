#!/usr/bin/python3
"""Summarize a compare.sh results file (TSV: test pipeline server round rps
p50_ms p99_ms): medians over rounds, eddy/redis ratio (and eddy/before when a
baseline eddy ran as "before"). Prints a plain table,
then the same table as Markdown (for docs/benchmarks.md)."""
import statistics
import sys


def fmt_rps(x):
    return "-" if x is None else "{:,.0f}".format(x)


def fmt_ms(x):
    return "-" if x is None else "%.3f" % x


def main(path):
    runs = {}
    order = []
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            rec = dict(zip(header, line.rstrip("\n").split("\t")))
            key = (rec["test"], int(rec["pipeline"]))
            if key not in order:
                order.append(key)
            runs.setdefault(key, {}).setdefault(rec["server"], []).append(
                (float(rec["rps"]), float(rec["p50_ms"]), float(rec["p99_ms"])))

    def med(vals, i):
        return statistics.median(v[i] for v in vals) if vals else None

    has_before = any("before" in servers for servers in runs.values())
    rows = []
    for key in order:
        e = runs[key].get("eddy", [])
        r = runs[key].get("redis", [])
        e_rps, r_rps = med(e, 0), med(r, 0)
        ratio = "%.2f" % (e_rps / r_rps) if e_rps and r_rps else "-"
        rows.append([key[0], str(key[1]), fmt_rps(e_rps), fmt_rps(r_rps), ratio,
                     "%s / %s" % (fmt_ms(med(e, 1)), fmt_ms(med(e, 2))),
                     "%s / %s" % (fmt_ms(med(r, 1)), fmt_ms(med(r, 2))),
                     "%d/%d" % (len(e), len(r))])
        if has_before:
            b_rps = med(runs[key].get("before", []), 0)
            rows[-1][5:5] = [fmt_rps(b_rps), "%.2f" % (e_rps / b_rps) if e_rps and b_rps else "-"]
    head = ["test", "pipeline", "eddy ops/s", "redis ops/s", "eddy/redis",
            "eddy p50/p99 ms", "redis p50/p99 ms", "rounds e/r"]
    if has_before:
        head[5:5] = ["before ops/s", "eddy/before"]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
    right = set(range(1, len(head)))

    def line(cells):
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    print(line(head))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))
    print()
    print("Markdown:")
    print()
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" if i not in right else "---:" for i in range(len(head))) + "|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
