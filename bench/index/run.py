#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Indexing benchmarks of morgue (bench/README.md explains every number).

  run.py index [--runs 3] [--corpus reuters21578,ag_news] [--tools LIST]
  run.py scale [--runs 1] [--sizes 100000,1000000] [--seed 1987]

index: on each corpus, in the same run and on the same input, English
stemming on, each index compacted at the end where the tool can:
  morgue-t1, morgue-t2   morgue-index --rebuild --threads 1 / 2
  floor-t1, floor-t2     build/bench/index_floor: the floor of issue 2,
                         pre-analysed documents added through the shim:
                         the analysed postings, boolean terms and values of
                         each document are replayed into a Xapian document
                         (mg_xdoc_*), which is added; one shard per thread,
                         compacted (only the building, writing and
                         compacting are timed, not the parsing and analysis)
  floor-prebuilt-t1, -t2 index_floor --prebuilt: the Xapian documents are
                         built before the clock starts; only the writing and
                         compacting are timed
  scriptindex            Omega scriptindex, then xapian-compact
  fts5                   sqlite3 .import into an fts5 table, then 'optimize'
The peers' input conversion (convert.py) is done before and not timed.
Runs are interleaved (round r runs every tool once) so that load on the
machine spreads over all tools; the median of the runs is reported, with
the minimum and maximum time. After the runs (untimed) the floors' and
morgue-t1's last indexes are compared with bench/index/dumpdb.py --digest:
they must hold the same documents, terms, positions and values
(--no-verify skips this).

scale: synthetic archives (corpus/synth/synth_news.py) of each size, written
to a temporary directory and deleted afterwards: morgue-index --rebuild, then
the nightly update (--delete-missing) on the next snapshot, and the same
update with --compact on a copy of the rebuilt index.

Results: a table on stdout; JSON and TSV under bench/out/ (--out).
"""
import argparse
import concurrent.futures
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TIME = "/usr/bin/time"
PEER_TOOLS = ("scriptindex", "fts5")
ALL_TOOLS = ("morgue-t1", "morgue-t2", "floor-t1", "floor-t2", "floor-prebuilt-t1",
             "floor-prebuilt-t2", "scriptindex", "fts5")
# Indexes that must be identical (same docids too), compared after the runs:
# the floors split the input into contiguous shares, so their shards
# compact back into input order whatever the thread count, as morgue-t1's
# single shard does; morgue-t2 routes records by id hash (other docids).
SAME_INDEX = ("floor-t1", "floor-prebuilt-t1", "floor-t2", "floor-prebuilt-t2", "morgue-t1")
CORPUS_FILES = {
    "reuters21578": "reuters21578/reuters21578.jsonl",
    "ag_news": "ag_news/ag_news.jsonl",
}


def log(msg):
    sys.stderr.write("[bench] %s\n" % msg)
    sys.stderr.flush()


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def tree_bytes(path):
    """Bytes of the files under path (a file, a directory, or a symlink to one)."""
    path = os.path.realpath(path)
    if os.path.isfile(path):
        return os.path.getsize(path)
    total = 0
    for d, _, files in os.walk(path):
        for f in files:
            p = os.path.join(d, f)
            if not os.path.islink(p):
                total += os.path.getsize(p)
    return total


def measure(cmd, nice=0):
    """Run cmd under GNU time. Returns wall seconds, peak RSS (KiB), CPU
    seconds and stdout; raises on a non-zero exit other than 3 (morgue-index:
    some records skipped, which Reuters' empty record causes)."""
    with tempfile.NamedTemporaryFile("r", prefix="bench-time-") as tf:
        full = [TIME, "-f", "%e %M %U %S", "-o", tf.name] + list(cmd)
        if nice:
            full = ["nice", "-n", str(nice)] + full
        t0 = time.monotonic()
        p = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wall = time.monotonic() - t0
        if p.returncode not in (0, 3):
            raise RuntimeError("%s failed (exit %d): %s" % (cmd[0], p.returncode,
                                                            p.stderr.strip()[-2000:]))
        fields = tf.read().strip().splitlines()[-1].split()
    return {"wall_s": wall, "rss_kb": int(fields[1]), "cpu_s": float(fields[2]) + float(fields[3]),
            "stdout": p.stdout, "exit": p.returncode}


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError("no JSON object in output: %r" % text[-500:])


def count_docs(path):
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip())


def text_bytes(path):
    """UTF-8 bytes of the titles and bodies: the "text MB/s" basis, the one
    the throughput figures quoted in issue 2 use."""
    total = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                total += len((d.get("title") or "").encode()) + len((d.get("body") or "").encode())
    return total


class Bench:
    def __init__(self, args):
        self.a = args
        self.build = os.path.join(ROOT, args.build)
        self.morgue = os.path.join(self.build, "morgue-index")
        self.floor = args.floor or os.path.join(self.build, "bench", "index_floor")
        self.work = tempfile.mkdtemp(prefix="morgue-bench-index-", dir=args.tmp)
        # Private copies: the build directory may be rebuilt while we run.
        bindir = os.path.join(self.work, "bin")
        os.makedirs(bindir)
        for attr in ("morgue", "floor"):
            src = getattr(self, attr)
            if os.path.exists(src):
                dst = os.path.join(bindir, os.path.basename(src))
                shutil.copy2(src, dst)
                setattr(self, attr, dst)

    def close(self):
        shutil.rmtree(self.work, ignore_errors=True)

    def fresh(self, name):
        d = os.path.join(self.work, name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        return d

    # -- one run of each tool; each returns a dict of measurements -----------
    def run_morgue(self, inp, threads, extra=(), db=None):
        if db is None:  # kept until this tool's next run, for verify_indexes
            db = os.path.join(self.fresh("morgue-t%d" % threads), "db")
        m = measure([self.morgue, "--db", db, "--threads", str(threads), "--json-stats",
                     "--quiet"] + list(extra) + [inp], self.a.nice)
        st = last_json(m.pop("stdout"))
        m["index_bytes"] = tree_bytes(db)  # the live generation, records included
        m["db"] = db
        m["stats"] = st
        m["indexed"] = st.get("documents")
        return m

    def run_floor(self, inp, tool):
        out = self.fresh(tool)  # kept until this tool's next run, for verify_indexes
        mode = ["--prebuilt"] if "prebuilt" in tool else []
        m = measure([self.floor] + mode + ["--threads", tool[-1], "--out", out, inp],
                    self.a.nice)
        st = last_json(m.pop("stdout"))
        # Only the timed phase counts; the process wall time includes the
        # untimed parsing and analysis (and, --prebuilt, document building).
        m["process_wall_s"], m["process_cpu_s"] = m["wall_s"], m["cpu_s"]
        m["wall_s"], m["cpu_s"] = st["elapsed_s"], st["cpu_s"]
        m["index_bytes"] = st["index_bytes"]
        m["db"] = os.path.join(out, "db")
        m["stats"] = st
        m["indexed"] = st["documents"]
        return m

    def run_scriptindex(self, dump):
        d = self.fresh("scriptindex")
        db, dbc = os.path.join(d, "db"), os.path.join(d, "compact")
        script = os.path.join(HERE, "scriptindex.script")
        a = measure(["scriptindex", "--overwrite", "--stemmer=english", db, script, dump],
                    self.a.nice)
        b = measure(["xapian-compact", db, dbc], self.a.nice)
        return {"indexed": xapian_doccount(dbc),
                "wall_s": a["wall_s"] + b["wall_s"], "index_wall_s": a["wall_s"],
                "compact_wall_s": b["wall_s"], "rss_kb": max(a["rss_kb"], b["rss_kb"]),
                "cpu_s": a["cpu_s"] + b["cpu_s"], "uncompacted_bytes": tree_bytes(db),
                "index_bytes": tree_bytes(dbc)}

    def run_fts5(self, csvfile):
        d = self.fresh("fts5")
        db = os.path.join(d, "fts5.sqlite")
        m = measure(["sqlite3", db, ".read " + os.path.join(HERE, "fts5.sql"), ".mode csv",
                     ".import " + csvfile + " t", "INSERT INTO t(t) VALUES('optimize');"],
                    self.a.nice)
        m.pop("stdout")
        m["index_bytes"] = tree_bytes(d)  # the database file (no WAL is left)
        con = sqlite3.connect(db)
        m["indexed"] = con.execute("SELECT count(*) FROM t").fetchone()[0]
        con.close()
        return m


def xapian_doccount(path):
    try:
        import xapian  # python3-xapian, a test dependency
        return xapian.Database(path).get_doccount()
    except ImportError:
        out = subprocess.run(["xapian-delve", path], stdout=subprocess.PIPE, text=True).stdout
        m = re.search(r"number of documents = (\d+)", out)
        return int(m.group(1)) if m else None


def verify_indexes(name, runs):
    """The digests (dumpdb.py --digest) of the last index of each SAME_INDEX
    tool that ran; "same" is true when they all agree (None: nothing to
    compare, or python3-xapian is missing)."""
    dbs = {t: runs[t][-1]["db"] for t in SAME_INDEX if runs.get(t)}
    out = {"digests": {}, "same": None}
    if len(dbs) < 2:
        return out
    t0 = time.monotonic()

    def digest(db):
        return subprocess.run([sys.executable, os.path.join(HERE, "dumpdb.py"), "--digest", db],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Nothing is timed now: one digest per core at a time.
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        done = dict(zip(dbs, ex.map(digest, dbs.values())))
    for t, p in done.items():
        if p.returncode != 0:
            log("%s: cannot verify the indexes: %s" % (name, p.stderr.strip()[-300:]))
            return out
        out["digests"][t] = p.stdout.strip()
    out["same"] = len(set(out["digests"].values())) == 1
    log("%s: indexes of %s %s (%.0f s)" % (name, ", ".join(dbs),
                                          "identical" if out["same"] else "DIFFER",
                                          time.monotonic() - t0))
    return out


def summarise(runs, input_bytes, docs, text=0):
    walls = [r["wall_s"] for r in runs]
    med = statistics.median(walls)
    s = {
        "runs": len(runs),
        "wall_s": med, "wall_min_s": min(walls), "wall_max_s": max(walls),
        "docs_per_s": docs / med, "mb_per_s": input_bytes / 1e6 / med,
        "text_mb_per_s": text / 1e6 / med,
        "rss_mb": statistics.median(r["rss_kb"] for r in runs) / 1024.0,
        "cpu_s": statistics.median(r["cpu_s"] for r in runs),
        "index_bytes": statistics.median(r["index_bytes"] for r in runs),
    }
    s["size_vs_input"] = s["index_bytes"] / input_bytes
    s["indexed"] = runs[-1].get("indexed")
    for k in ("index_wall_s", "compact_wall_s", "uncompacted_bytes", "process_wall_s",
              "process_cpu_s"):
        if k in runs[0]:
            s[k] = statistics.median(r[k] for r in runs)
    return s


def machine():
    info = {"date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "nproc": os.cpu_count(), "kernel": platform.release()}
    with open("/proc/cpuinfo") as f:
        m = re.search(r"model name\s*:\s*(.*)", f.read())
        info["cpu"] = m.group(1) if m else "?"
    with open("/proc/meminfo") as f:
        info["ram_gb"] = round(int(f.readline().split()[1]) / 1024 / 1024, 1)
    try:
        with open("/etc/debian_version") as f:
            info["debian"] = f.read().strip()
    except OSError:
        info["debian"] = "?"

    def ver(cmd):
        try:
            return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return "?"
    info["xapian"] = ver(["xapian-config", "--version"])
    info["scriptindex"] = ver(["scriptindex", "--version"])
    info["sqlite3"] = " ".join(ver(["sqlite3", "--version"]).split()[:2])
    return info


def fmt_table(rows, headers):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    out = ["| " + " | ".join(str(h).ljust(w) for h, w in zip(headers, widths)) + " |",
           "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c).rjust(w) for c, w in zip(r, widths)) + " |")
    return "\n".join(out)


# Commands each benchmark needs, and the Debian package that has each.
NEEDS = {"index": {TIME: "time", "scriptindex": "xapian-omega", "xapian-compact": "xapian-tools",
                   "sqlite3": "sqlite3"},
         "scale": {TIME: "time"}}


def preflight(a, tools=()):
    missing = sorted({pkg for cmd, pkg in NEEDS[a.what].items()
                      if not shutil.which(cmd)
                      and (a.what == "scale" or cmd == TIME or pkg == "xapian-tools"
                           or any(t in cmd for t in tools))})
    if missing:
        sys.exit("bench: missing commands; as root run: apt-get install -y " + " ".join(missing))


def cmd_index(a):
    tools = [t for t in a.tools.split(",") if t]
    for t in tools:
        if t not in ALL_TOOLS:
            sys.exit("unknown tool %s (have %s)" % (t, ", ".join(ALL_TOOLS)))
    preflight(a, tools)
    b = Bench(a)
    results = {"machine": machine(), "corpora": {}, "runs": a.runs, "nice": a.nice}
    try:
        for name in a.corpus.split(","):
            inp = os.path.join(a.corpora, CORPUS_FILES[name])
            input_bytes, docs, text = os.path.getsize(inp), count_docs(inp), text_bytes(inp)
            dump = os.path.join(b.work, name + ".dump")
            csvf = os.path.join(b.work, name + ".csv")
            conv = os.path.join(HERE, "convert.py")
            if "scriptindex" in tools:
                subprocess.run([sys.executable, conv, "scriptindex", inp, dump], check=True)
            if "fts5" in tools:
                subprocess.run([sys.executable, conv, "csv", inp, csvf], check=True)
            for f in (inp, dump, csvf):  # warm the page cache: every tool reads from it
                if os.path.exists(f):
                    with open(f, "rb") as fh:
                        while fh.read(1 << 20):
                            pass
            runs = {t: [] for t in tools}
            load_before = loadavg()
            log("%s: %d docs, %.1f MB; load %s" % (name, docs, input_bytes / 1e6, load_before))
            for r in range(a.runs):
                for t in tools:
                    if t.startswith("morgue-"):
                        m = b.run_morgue(inp, int(t[-1]), ["--rebuild"])
                    elif t.startswith("floor-"):
                        m = b.run_floor(inp, t)
                    elif t == "scriptindex":
                        m = b.run_scriptindex(dump)
                    else:
                        m = b.run_fts5(csvf)
                    m["load"] = loadavg()
                    runs[t].append(m)
                    log("%s run %d %-17s %7.2f s  %6.1f MB RSS  %6.1f MB index  load %s"
                        % (name, r + 1, t, m["wall_s"], m["rss_kb"] / 1024,
                           m["index_bytes"] / 1e6, m["load"]))
            load_after = loadavg()
            summ = {t: summarise(runs[t], input_bytes, docs, text) for t in tools}
            results["corpora"][name] = {"input": inp, "input_bytes": input_bytes, "docs": docs,
                                        "text_bytes": text,
                                        "load_before": load_before, "load_after": load_after,
                                        "summary": summ, "raw": runs}
            if a.verify:
                results["corpora"][name]["verify"] = verify_indexes(name, runs)
    finally:
        b.close()
    report_index(results, a.out)
    if any(c.get("verify", {}).get("same") is False for c in results["corpora"].values()):
        log("the floors' and morgue-t1's indexes differ: the floor does not write what "
            "morgue writes")
        return 1
    return 0


def report_index(results, outdir):
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "index.json"), "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    heads = ["corpus", "tool", "wall s (min-max)", "docs", "CPU s", "docs/s", "MB/s", "text MB/s", "peak RSS MB", "index MB",
             "index/input", "morgue-t2 speed x", "morgue-t2 size x"]
    rows, tsv = [], ["\t".join(["corpus", "tool", "wall_s", "wall_min_s", "wall_max_s", "docs_per_s",
                                "mb_per_s", "text_mb_per_s", "rss_mb", "index_bytes", "size_vs_input",
                                "morgue_speedup", "morgue_size_ratio"])]
    for name, c in results["corpora"].items():
        s = c["summary"]
        ref = s.get("morgue-t2")
        for t, v in s.items():
            speed = ref["mb_per_s"] / v["mb_per_s"] if ref else float("nan")
            size = ref["index_bytes"] / v["index_bytes"] if ref else float("nan")
            rows.append([name, t, "%.2f (%.2f-%.2f)" % (v["wall_s"], v["wall_min_s"], v["wall_max_s"]),
                         str(v["indexed"]), "%.2f" % v["cpu_s"],
                         "%.0f" % v["docs_per_s"], "%.2f" % v["mb_per_s"],
                         "%.2f" % v["text_mb_per_s"], "%.0f" % v["rss_mb"],
                         "%.1f" % (v["index_bytes"] / 1e6), "%.2f" % v["size_vs_input"],
                         "%.2f" % speed, "%.2f" % size])
            tsv.append("\t".join(str(x) for x in [
                name, t, "%.3f" % v["wall_s"], "%.3f" % v["wall_min_s"], "%.3f" % v["wall_max_s"],
                "%.1f" % v["docs_per_s"], "%.3f" % v["mb_per_s"], "%.3f" % v["text_mb_per_s"],
                "%.1f" % v["rss_mb"],
                int(v["index_bytes"]), "%.3f" % v["size_vs_input"], "%.3f" % speed, "%.3f" % size]))
            if "uncompacted_bytes" in v:
                rows.append([name, t + " (before compact)", "%.2f index only" % v["index_wall_s"], "", "",
                             "%.0f" % (c["docs"] / v["index_wall_s"]),
                             "%.2f" % (c["input_bytes"] / 1e6 / v["index_wall_s"]),
                             "%.2f" % (c["text_bytes"] / 1e6 / v["index_wall_s"]), "",
                             "%.1f" % (v["uncompacted_bytes"] / 1e6),
                             "%.2f" % (v["uncompacted_bytes"] / c["input_bytes"]),
                             "%.2f" % (ref["mb_per_s"] / (c["input_bytes"] / 1e6 / v["index_wall_s"]))
                             if ref else "", "%.2f" % (ref["index_bytes"] / v["uncompacted_bytes"])
                             if ref else ""])
    table = fmt_table(rows, heads)
    m = results["machine"]
    loads = "; ".join("%s: load %s before, %s after" % (n, c["load_before"], c["load_after"])
                      for n, c in results["corpora"].items())
    text = ("bench-index, %s, %d run(s) each, median (min-max) wall time\n"
            "machine: %d x %s, %.1f GB RAM, Debian %s; %s; %s; %s\n%s\n\n%s\n"
            % (m["date_utc"], results["runs"], m["nproc"], m["cpu"], m["ram_gb"], m["debian"],
               m["xapian"], m["scriptindex"], "sqlite " + m["sqlite3"], loads, table))
    floor_rows = []
    for name, c in results["corpora"].items():
        s = c["summary"]
        for n in ("2", "1"):
            mo = s.get("morgue-t" + n)
            fl, pb = s.get("floor-t" + n), s.get("floor-prebuilt-t" + n)
            if mo and (fl or pb):
                floor_rows.append([
                    name, n, "%.2f" % mo["wall_s"],
                    "%.2f" % fl["wall_s"] if fl else "-", "%.2f" % pb["wall_s"] if pb else "-",
                    "%.2f" % (mo["wall_s"] / fl["wall_s"]) if fl else "-",
                    "%.2f" % (mo["wall_s"] / pb["wall_s"]) if pb else "-"])
    if floor_rows:
        text += ("\nmorgue against the floors (median wall s; goal: morgue-t2 / floor-t2 <= 1.25; "
                 "floor = the issue's, documents built from the analysed postings inside the "
                 "clock; floor-prebuilt = documents built before it)\n\n"
                 + fmt_table(floor_rows, ["corpus", "threads", "morgue s", "floor s",
                                          "floor-prebuilt s", "morgue / floor (goal <= 1.25)",
                                          "morgue / floor-prebuilt"]) + "\n\n")
    for name, c in results["corpora"].items():
        s = c["summary"]
        if "morgue-t2" in s and "floor-t2" in s:
            text += "%s: morgue-t2 / floor-t2 wall time = %.2f (goal <= 1.25)%s\n" % (
                name, s["morgue-t2"]["wall_s"] / s["floor-t2"]["wall_s"],
                "; / floor-prebuilt-t2 = %.2f" % (
                    s["morgue-t2"]["wall_s"] / s["floor-prebuilt-t2"]["wall_s"])
                if "floor-prebuilt-t2" in s else "")
        v = c.get("verify")
        if v and v["same"] is not None:
            digests = sorted(set(v["digests"].values()))
            if v["same"]:
                text += "%s: identical indexes (dumpdb.py --digest): %s: %s\n" % (
                    name, " = ".join(v["digests"]), digests[0])
            else:
                text += "%s: INDEXES DIFFER (dumpdb.py --digest): %s\n" % (
                    name, "; ".join("%s: %s" % kv for kv in v["digests"].items()))
        if "morgue-t1" in s and "morgue-t2" in s:
            text += "%s: morgue --threads 2 is %.2fx --threads 1\n" % (
                name, s["morgue-t1"]["wall_s"] / s["morgue-t2"]["wall_s"])
        if "morgue-t2" in s and "scriptindex" in s:
            si = s["scriptindex"]
            text += ("%s: morgue-t2 MB/s / scriptindex MB/s = %.2f (scriptindex alone, goal >= 2.5), "
                     "%.2f (scriptindex + xapian-compact); index size morgue / scriptindex "
                     "compacted = %.2f (goal < 1)\n" % (
                         name, si["index_wall_s"] / s["morgue-t2"]["wall_s"],
                         si["wall_s"] / s["morgue-t2"]["wall_s"],
                         s["morgue-t2"]["index_bytes"] / si["index_bytes"]))
    with open(os.path.join(outdir, "index.tsv"), "w") as f:
        f.write("\n".join(tsv) + "\n")
    with open(os.path.join(outdir, "index.md"), "w") as f:
        f.write(text)
    print(text)


def cmd_scale(a):
    preflight(a)
    b = Bench(a)
    gen = os.path.join(ROOT, "corpus", "synth", "synth_news.py")
    results = {"machine": machine(), "seed": a.seed, "runs": a.runs, "threads": a.threads,
               "sizes": {}}
    try:
        for n in [int(x) for x in a.sizes.split(",")]:
            data = a.data or b.work
            base = os.path.join(data, "synth-s%d-n%d.jsonl" % (a.seed, n))
            upd = os.path.join(data, "synth-s%d-n%d-update.jsonl" % (a.seed, n))
            t0 = time.monotonic()
            for path, extra in ((base, []), (upd, ["--update"])):
                if a.data and os.path.exists(path):
                    continue  # generated earlier into --data: same seed and size, same bytes
                subprocess.run([sys.executable, gen, "--corpora", a.corpora, "--seed", str(a.seed),
                                "--n", str(n), "--out", path + ".part"] + extra, check=True)
                os.rename(path + ".part", path)
            gen_s = time.monotonic() - t0
            size, usize = os.path.getsize(base), os.path.getsize(upd)
            log("%d articles: %.0f MB + %.0f MB update generated in %.0f s; df: %s; load %s"
                % (n, size / 1e6, usize / 1e6, gen_s, disk_free(b.work), loadavg()))
            rebuilds, updates, compacts = [], [], []
            for r in range(a.runs):
                db = os.path.join(b.fresh("scale"), "db")
                m = b.run_morgue(base, a.threads, ["--rebuild"], db=db)
                m["load"] = loadavg()
                rebuilds.append(m)
                log("%d rebuild run %d: %.1f s, %.0f MB RSS, index %.0f MB, load %s"
                    % (n, r + 1, m["wall_s"], m["rss_kb"] / 1024, m["index_bytes"] / 1e6, m["load"]))
                # The same update with --compact, on a copy of the rebuilt index.
                cdb = os.path.join(b.work, "scale", "cdb")
                shutil.copytree(db + ".gens", cdb + ".gens", symlinks=True)
                os.symlink(os.readlink(db).replace("db.gens", "cdb.gens", 1), cdb)
                os.sync()  # the copy's writeback must not slow the timed runs down
                u = b.run_morgue(upd, a.threads, ["--delete-missing"], db=db)
                u["load"] = loadavg()
                updates.append(u)
                log("%d update run %d: %.1f s, %.0f MB RSS, index %.0f MB, stats %s, load %s"
                    % (n, r + 1, u["wall_s"], u["rss_kb"] / 1024, u["index_bytes"] / 1e6,
                       {k: u["stats"].get(k) for k in ("added", "replaced", "unchanged", "deleted")},
                       u["load"]))
                os.sync()  # nor the update's
                c = b.run_morgue(upd, a.threads, ["--delete-missing", "--compact"], db=cdb)
                c["load"] = loadavg()
                compacts.append(c)
                log("%d update+compact run %d: %.1f s (compaction %.1f s), %.0f MB RSS, "
                    "index %.0f MB (%.0f MB before compacting), load %s"
                    % (n, r + 1, c["wall_s"], c["stats"].get("compact_s", 0), c["rss_kb"] / 1024,
                       c["index_bytes"] / 1e6, c["stats"].get("index_bytes_before_compact", 0) / 1e6,
                       c["load"]))
            results["sizes"][str(n)] = {
                "articles": n, "input_bytes": size, "update_bytes": usize,
                "generate_s": gen_s,
                "rebuild": summarise(rebuilds, size, count_docs(base)),
                "update": summarise(updates, usize, count_docs(upd)),
                "update+compact": summarise(compacts, usize, count_docs(upd)),
                "update_stats": updates[-1]["stats"], "raw_rebuild": rebuilds, "raw_update": updates,
                "raw_update_compact": compacts}
            if not a.data:
                for f in (base, upd):
                    os.remove(f)
            shutil.rmtree(os.path.join(b.work, "scale"), ignore_errors=True)
    finally:
        b.close()
    report_scale(results, a.out)
    return 0


def disk_free(path):
    st = os.statvfs(path)
    return "%.0f GB free" % (st.f_bavail * st.f_frsize / 1e9)


def report_scale(results, outdir):
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "scale.json"), "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    heads = ["articles", "run", "input MB", "wall s", "docs/s", "MB/s", "peak RSS MB",
             "index MB", "index/input", "added/replaced/deleted/unchanged"]
    rows = []
    for n, s in results["sizes"].items():
        for kind in ("rebuild", "update", "update+compact"):
            if kind not in s:
                continue
            v = s[kind]
            st = {"rebuild": s["raw_rebuild"], "update": s["raw_update"],
                  "update+compact": s.get("raw_update_compact")}[kind][-1]["stats"]
            rows.append([n, kind, "%.0f" % (s["input_bytes" if kind == "rebuild" else "update_bytes"] / 1e6),
                         "%.1f (%.1f-%.1f)" % (v["wall_s"], v["wall_min_s"], v["wall_max_s"]),
                         "%.0f" % v["docs_per_s"], "%.2f" % v["mb_per_s"], "%.0f" % v["rss_mb"],
                         "%.0f" % (v["index_bytes"] / 1e6), "%.2f" % v["size_vs_input"],
                         "/".join(str(st.get(k, "?")) for k in ("added", "replaced", "deleted", "unchanged"))])
    m = results["machine"]
    text = ("bench-scale, %s, morgue-index --threads %d, seed %d, %d run(s) each\n"
            "machine: %d x %s, %.1f GB RAM, Debian %s\n\n%s\n"
            % (m["date_utc"], results["threads"], results["seed"], results["runs"], m["nproc"],
               m["cpu"], m["ram_gb"], m["debian"], fmt_table(rows, heads)))
    with open(os.path.join(outdir, "scale.md"), "w") as f:
        f.write(text)
    print(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=("index", "scale"))
    ap.add_argument("--corpora", default=os.environ.get(
        "MORGUE_CORPORA", os.path.join(ROOT, "..", "shared", "corpora")))
    ap.add_argument("--build", default="build", help="build directory (default build)")
    ap.add_argument("--floor", default=None, help="index_floor binary (default BUILD/bench/index_floor)")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "out"))
    ap.add_argument("--tmp", default=None, help="work directory parent (default $TMPDIR)")
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--nice", type=int, default=int(os.environ.get("BENCH_NICE", "0")))
    ap.add_argument("--corpus", default="reuters21578,ag_news")
    ap.add_argument("--tools", default=",".join(ALL_TOOLS))
    ap.add_argument("--no-verify", dest="verify", action="store_false",
                    help="index: do not compare the floors' and morgue-t1's indexes")
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--data", default=None,
                    help="scale: keep generated archives in DIR and reuse them (default: "
                         "generate into the work directory and delete)")
    ap.add_argument("--seed", type=int, default=1987)
    ap.add_argument("--threads", type=int, default=2, help="scale: morgue-index --threads")
    a = ap.parse_args()
    if a.runs is None:
        a.runs = 3 if a.what == "index" else 1
    return cmd_index(a) if a.what == "index" else cmd_scale(a)


if __name__ == "__main__":
    sys.exit(main())
