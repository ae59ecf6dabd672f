#!/usr/bin/env python3
"""Times two `hiercomp` binaries on the same corpora, alternating, best of N.

    scripts/compare-speed.py --base OLD_BINARY --new NEW_BINARY --levels 1,9 --repeat 5 \
        --json docs/results/speed-refactor.json DIR...

For every corpus (folder, non-recursive) and level, each repetition runs both binaries, in
alternating order, as processes on files: `compress -l L -c FILE > tmp` for every file of the
corpus, then `decompress -c tmp > out`, summing wall time over the corpus; outputs are
compared with the input byte for byte and the two binaries' containers must be identical.
The report is the best (smallest) total of each binary and the ratio new / base.
"""
import argparse, filecmp, json, os, platform, subprocess, sys, tempfile, time, datetime

def run(cmd, out):
    with open(out, "wb") as f:
        t = time.perf_counter()
        subprocess.run(cmd, stdout=f, check=True)
        return time.perf_counter() - t

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--new", required=True)
    ap.add_argument("--levels", default="1,9")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json")
    ap.add_argument("dirs", nargs="+")
    a = ap.parse_args()
    bins = {"base": a.base, "new": a.new}
    tmp = tempfile.mkdtemp()
    results = []
    for d in a.dirs:
        files = sorted(os.path.join(d, f) for f in os.listdir(d) if os.path.isfile(os.path.join(d, f)))
        for level in [int(x) for x in a.levels.split(",")]:
            best = {k: [float("inf"), float("inf")] for k in bins}
            for rep in range(a.repeat):
                order = ["base", "new"] if rep % 2 == 0 else ["new", "base"]
                for k in order:
                    c = d_ = 0.0
                    for i, f in enumerate(files):
                        hcz = os.path.join(tmp, f"{k}.{i}.hcz")
                        back = os.path.join(tmp, f"{k}.out")
                        c += run([bins[k], "compress", "-l", str(level), "-c", f], hcz)
                        d_ += run([bins[k], "decompress", "-c", hcz], back)
                        if not filecmp.cmp(f, back, shallow=False):
                            sys.exit(f"{k}: {f} does not roundtrip")
                        if k == order[1] and not filecmp.cmp(os.path.join(tmp, f"base.{i}.hcz"), os.path.join(tmp, f"new.{i}.hcz"), shallow=False):
                            sys.exit(f"{f}: the two binaries write different containers")
                    best[k][0] = min(best[k][0], c)
                    best[k][1] = min(best[k][1], d_)
            r = {"corpus": os.path.basename(os.path.normpath(d)), "level": level, "files": len(files),
                 "base_compress_s": best["base"][0], "new_compress_s": best["new"][0],
                 "base_decompress_s": best["base"][1], "new_decompress_s": best["new"][1],
                 "compress_ratio": best["new"][0] / best["base"][0],
                 "decompress_ratio": best["new"][1] / best["base"][1]}
            results.append(r)
            print(f"{r['corpus']:12} -l {level}: compress {r['base_compress_s']:.3f} -> {r['new_compress_s']:.3f} s "
                  f"({r['compress_ratio']:.3f}), decompress {r['base_decompress_s']:.3f} -> {r['new_decompress_s']:.3f} s "
                  f"({r['decompress_ratio']:.3f})", flush=True)
    if a.json:
        cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
        meta = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "command": " ".join(sys.argv), "machine": {"cpu": cpu, "cores": os.cpu_count(), "os": platform.platform()},
                "base": a.base, "new": a.new, "repeat": a.repeat, "results": results}
        with open(a.json, "w") as f:
            json.dump(meta, f, indent=1)

if __name__ == "__main__":
    main()
