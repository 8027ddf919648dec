#!/usr/bin/env python3
"""Helpers of scripts/bench.

    report.py compile-time --build-dir build/release --out out/bench/compile.json [--rounds N] [--baseline FILE]
                           [--rebuild TARGET=SOURCE] examples/mnist/mnist.cpp bench/compile_probe.cpp
        Times the compiler on each file, with the command line the build uses for the first file (from the build
        folder's compile_commands.json), the object written to a temporary folder; with and without the compiled
        part when the build uses it; N alternating rounds, medians, ratios to the baseline.

    report.py write --out-dir out/bench --build-dir build/release --doc docs/benchmarks.md [--quick]
        Reads the Google Benchmark JSON files of out/bench (median aggregates; the single run in quick mode),
        rss.txt, compile.json, compare.json and commands.txt, and writes the Markdown report.
"""
import argparse
import datetime
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
STEPS_PER_EPOCH = 469  # ceil(60000 / 128)


# ---- compile time -------------------------------------------------------------------------------------------------

COMPILED_DEFINE = "-DMINITORCH_COMPILED_LIB"


def compile_time(args):
    """Times the compiler on each source with the build's own command line for the first one (from
    compile_commands.json), `--rounds` times in alternating order (every timing of round 1, then of round 2, …), so
    that a change in the machine's load hits every file alike. When that command line uses the compiled part
    (-DMINITORCH_COMPILED_LIB, the project's own build), each minitorch source is timed twice: with it ("compiled")
    and without it ("header-only"). --rebuild TARGET=SOURCE also times what a developer waits for after an edit:
    touch SOURCE, then `cmake --build` of TARGET (compile and link). Writes every time, the medians and, with
    --baseline, each median over the baseline's."""
    db_path = os.path.join(args.build_dir, "compile_commands.json")
    if not os.path.exists(db_path):
        sys.exit(f"report.py: {db_path} missing: configure with -DCMAKE_EXPORT_COMPILE_COMMANDS=ON")
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)  # before the minutes of timing, not after them
    db = json.load(open(db_path))
    first = os.path.abspath(args.sources[0])
    entry = next((e for e in db if os.path.abspath(os.path.join(e["directory"], e["file"])) == first), None)
    if entry is None:
        sys.exit(f"report.py: {args.sources[0]} is not in {db_path} (is its target enabled in this build?)")
    argv = entry["arguments"] if "arguments" in entry else shlex.split(entry["command"])
    uses_compiled = COMPILED_DEFINE in argv
    rebuild = None
    if args.rebuild:
        target, sep, source = args.rebuild.partition("=")
        if not sep or not target or not os.path.exists(source):
            sys.exit(f"report.py: --rebuild wants TARGET=SOURCE with an existing SOURCE, got '{args.rebuild}'")
        rebuild = (target, source)

    def compile_command(source, header_only, obj):
        cmd, skip = [], False
        for a in argv:
            if skip:
                skip = False
            elif a == "-o":
                cmd += ["-o", obj]
                skip = True
            elif os.path.abspath(os.path.join(entry["directory"], a)) == first:
                cmd.append(os.path.abspath(source))
            elif not (header_only and a == COMPILED_DEFINE):
                cmd.append(a)
        return cmd

    # (label, mode, source or None, how to run it); the baseline includes no minitorch header: one mode.
    jobs = []
    for source in args.sources:
        modes = ["compiled", "header-only"] if uses_compiled else ["header-only"]
        for mode in modes:
            jobs.append((f"{source} ({mode})", mode, source, None))
    if rebuild:
        jobs.append((f"rebuild {rebuild[0]} after touching {rebuild[1]}", "compiled" if uses_compiled else
                     "header-only", rebuild[1], ["cmake", "--build", os.path.abspath(args.build_dir), "--target", rebuild[0]]))
    if args.baseline and args.baseline not in args.sources:
        jobs.append((args.baseline, None, args.baseline, None))
    times = {label: [] for label, *_ in jobs}
    commands = {}
    with tempfile.TemporaryDirectory() as tmp:
        obj = os.path.join(tmp, "probe.o")
        if rebuild:  # the target must be up to date before the first touch, or round 1 times more than one file
            subprocess.run(next(build for *_, build in jobs if build), capture_output=True, check=True)
        for r in range(args.rounds):
            for label, mode, source, build in jobs:
                if build:
                    os.utime(source)
                    cmd = build
                else:
                    cmd = compile_command(source, mode == "header-only", obj)
                start = time.perf_counter()
                done = subprocess.run(cmd, cwd=entry["directory"], capture_output=True, text=True)
                seconds = time.perf_counter() - start
                if done.returncode != 0:
                    sys.exit(f"report.py: {label} failed:\n{done.stdout}\n{done.stderr}")
                commands[label] = " ".join(cmd).replace(obj, "/tmp/probe.o").replace(REPO + "/", "")
                times[label].append(seconds)
                print(f"  round {r + 1}: {label}: {seconds:.1f} s")
    results = []
    base = statistics.median(times[args.baseline]) if args.baseline else None
    for label, mode, source, build in jobs:
        med = statistics.median(times[label])
        results.append(dict(label=label, file=source, mode=mode, rebuild=bool(build), seconds=med,
                            rounds=times[label], command=commands[label], ratio=None if base is None else med / base))
        print(f"{label}: median {med:.1f} s" + ("" if base is None else f", {med / base:.2f}× the baseline"))
    partial = args.out + ".partial"  # written whole, then renamed: never a half-written report
    with open(partial, "w") as f:
        json.dump(dict(entries=results, baseline=args.baseline, rounds=args.rounds), f, indent=1)
    os.replace(partial, args.out)


# ---- reading Google Benchmark JSON --------------------------------------------------------------------------------

TO_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}


class Results:
    """The benchmarks of one JSON file by name (without the /real_time suffix): the median aggregate when there
    are repetitions, else the single run."""

    def __init__(self, path):
        self.path = path
        self.ok = os.path.exists(path)
        self.context, self.by_name = {}, {}
        if not self.ok:
            return
        doc = json.load(open(path))
        self.context = doc.get("context", {})
        for b in doc.get("benchmarks", []):
            name = b.get("run_name", b["name"]).replace("/real_time", "")
            if b.get("run_type") == "aggregate":
                if b.get("aggregate_name") == "median":
                    self.by_name[name] = b
            elif name not in self.by_name or self.by_name[name].get("run_type") != "aggregate":
                self.by_name.setdefault(name, b)

    def get(self, name):
        return self.by_name.get(name)

    def ms(self, name):
        b = self.get(name)
        return None if b is None else b["real_time"] * TO_MS[b.get("time_unit", "ns")]

    def counter(self, name, key):
        b = self.get(name)
        return None if b is None or key not in b else b[key]


def fmt(v, spec=".1f", missing="–"):
    return missing if v is None else format(v, spec)


def table(header, rows, align=None):
    align = align or ["l"] + ["r"] * (len(header) - 1)
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join(":---" if a == "l" else "---:" for a in align) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


# ---- machine ------------------------------------------------------------------------------------------------------

def machine(build_dir):
    info = {}
    try:
        cpuinfo = open("/proc/cpuinfo").read()
        m = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
        info["cpu"] = m.group(1).strip() if m else "unknown"
        fam = re.search(r"^cpu family\s*:\s*(\d+)$", cpuinfo, re.M)
        mod = re.search(r"^model\s*:\s*(\d+)$", cpuinfo, re.M)
        if fam and mod:
            info["cpu"] += f", family {fam.group(1)} model {mod.group(1)}"
        info["logical_cpus"] = len(re.findall(r"^processor\s*:", cpuinfo, re.M))
        flags = re.search(r"^flags\s*:\s*(.+)$", cpuinfo, re.M)
        fl = set(flags.group(1).split()) if flags else set()
        info["isa"] = ", ".join(x for x in ("avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16")
                                if x in fl) or "none of avx2/fma/avx512"
    except OSError:
        info["cpu"], info["logical_cpus"], info["isa"] = "unknown", os.cpu_count(), "unknown"
    try:
        info["cores"] = int(subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip())
    except (OSError, ValueError):
        info["cores"] = os.cpu_count()

    def git(*a):
        r = subprocess.run(["git", "-C", REPO] + list(a), capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else ""
    info["commit"] = git("rev-parse", "--short=12", "HEAD") or "unknown"
    subject = git("log", "-1", "--format=%s")
    info["commit_subject"] = subject if len(subject) <= 90 else subject[:89] + "…"
    info["dirty"] = bool(git("status", "--porcelain", "--untracked-files=no"))
    cache = {}
    try:
        for line in open(os.path.join(build_dir, "CMakeCache.txt")):
            m = re.match(r"^([A-Za-z_]+):[A-Z]+=(.*)$", line.strip())
            if m:
                cache[m.group(1)] = m.group(2)
    except OSError:
        pass
    cxx = cache.get("CMAKE_CXX_COMPILER", "c++")
    try:
        info["compiler"] = subprocess.run([cxx, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        info["compiler"] = cxx
    flags = cache.get("CMAKE_CXX_FLAGS_" + cache.get("CMAKE_BUILD_TYPE", "").upper(), "")
    info["flags"] = (cache.get("CMAKE_CXX_FLAGS", "") + " " + flags).strip()
    info["build_type"] = cache.get("CMAKE_BUILD_TYPE", "?")
    return info


# ---- the report ----------------------------------------------------------------------------------------------------

CONV_SHAPES = ["1to16_k3p0_28", "16to32_k3p0_26", "32to10_k1p0_24", "10to16_k3p0_12", "16to12_k3p0_10",
               "12to12_k3p0_8", "12to14_k3p1_6", "14to10_k1p0_1"]


def conv_title(s):
    m = re.match(r"(\d+)to(\d+)_k(\d+)p(\d+)_(\d+)", s)
    cin, cout, k, p, hw = m.groups()
    return f"{cin}→{cout}, k{k}" + (f", p{p}" if p != "0" else "") + f", {hw}×{hw}"


def thread_files(out_dir, prefix):
    """{threads: Results} for out_dir/<prefix>_t<threads>.json, in thread order."""
    found = {}
    for f in os.listdir(out_dir):
        m = re.match(re.escape(prefix) + r"_t(\d+)\.json$", f)
        if m:
            found[int(m.group(1))] = Results(os.path.join(out_dir, f))
    return dict(sorted(found.items()))


def conv_section(out_dir):
    lines = ["## Convolutions (batch 128)", ""]
    convs = thread_files(out_dir, "conv")
    if not convs:
        return lines + ["(bench_conv did not run)", ""], {}
    lines += [
        "Every conv of the MNIST net at its real input shape. GFLOP/s counts 2·O·K·L per image for the forward and for "
        "each backward product (K = C·kh·kw, L = outH·outW); **%peak** is against the peak bench_conv measured at its "
        "start in the same run (the FMA loop of bench_peak on one thread × the thread count). *fwd* is the layer's "
        "training-mode forward (im2col + GEMM + the input cache), *eval* the eval-mode forward, *bwd* the layer's "
        "backward (im2col again, both GEMMs, col2im). *fwd+bwd* is the three products' FLOPs over the two times.", ""]
    summary = {}
    for t, r in convs.items():
        peak = float(r.context.get("peak_gflops", "nan"))
        lines += [f"### {t} thread{'s' if t > 1 else ''} — peak {peak:.0f} GFLOP/s "
                  f"({r.context.get('peak_source', '?')})", ""]
        rows, total_fwd, total_bwd, total_eval = [], 0.0, 0.0, 0.0
        for s in CONV_SHAPES:
            f, e, b = (r.ms(f"conv/{p}/{s}") for p in ("forward", "forward_eval", "backward"))
            gf, gb = r.counter(f"conv/forward/{s}", "GFLOP/s"), r.counter(f"conv/backward/{s}", "GFLOP/s")
            both = None
            if f and b and gf is not None and gb is not None:
                flops = gf * f + gb * b  # GFLOP/s × ms = MFLOP
                both = flops / (f + b)
                total_fwd, total_bwd, total_eval = total_fwd + f, total_bwd + b, total_eval + (e or 0)
            rows.append([conv_title(s), fmt(f, ".3f"), fmt(gf, ".0f"), fmt(r.counter(f"conv/forward/{s}", "%peak")),
                         fmt(e, ".3f"), fmt(b, ".3f"), fmt(gb, ".0f"), fmt(r.counter(f"conv/backward/{s}", "%peak")),
                         fmt(both, ".0f"), fmt(None if both is None else 100 * both / peak)])
        rows.append(["**all eight**", f"**{total_fwd:.2f}**", "", "", f"**{total_eval:.2f}**", f"**{total_bwd:.2f}**",
                     "", "", "", ""])
        lines += [table(["conv", "fwd ms", "GFLOP/s", "%peak", "eval ms", "bwd ms", "GFLOP/s", "%peak",
                         "fwd+bwd GFLOP/s", "%peak"], rows), ""]
        # The GEMMs alone.
        rows = []
        for s in CONV_SHAPES:
            cells, ms_sum, mflop_sum = [conv_title(s)], 0.0, 0.0
            label = (r.get(f"conv/gemm_forward/{s}") or {}).get("label", "")
            m = re.search(r"O=(\d+) K=(\d+) L=(\d+)", label)
            cells.append(f"{m.group(1)}×{m.group(2)}×{m.group(3)}" if m else "?")
            for p in ("gemm_forward", "gemm_backward_data", "gemm_backward_weights"):
                g, ms = r.counter(f"conv/{p}/{s}", "GFLOP/s"), r.ms(f"conv/{p}/{s}")
                cells.append(f"{fmt(g, '.0f')} ({fmt(r.counter(f'conv/{p}/{s}', '%peak'), '.0f')}%)")
                if g is not None and ms:
                    ms_sum, mflop_sum = ms_sum + ms, mflop_sum + g * ms
            three = mflop_sum / ms_sum if ms_sum else None
            cells.append(f"{fmt(three, '.0f')} ({fmt(None if three is None else 100 * three / peak, '.0f')}%)")
            cells.append(fmt(r.counter(f"conv/reference_forward/{s}", "GFLOP/s"), ".2f"))
            rows.append(cells)
            if s == "16to32_k3p0_26":
                layer_f, layer_b = r.ms(f"conv/forward/{s}"), r.ms(f"conv/backward/{s}")
                gf, gb = r.counter(f"conv/forward/{s}", "GFLOP/s"), r.counter(f"conv/backward/{s}", "GFLOP/s")
                layer = (gf * layer_f + gb * layer_b) / (layer_f + layer_b) if layer_f and layer_b else None
                summary[t] = dict(peak=peak, gemm_three=three, layer=layer)
        lines += ["The three GEMMs alone (kernels/gemm.hpp over the batch, split across the threads as Conv2d splits "
                  "it; GFLOP/s and %peak). *direct* is the loop reference (kernels/conv_reference.hpp), forward, "
                  "1 thread, batch 8.", "",
                  table(["conv", "O×K×L", "forward", "backward-data", "backward-weights", "all three",
                         "direct GFLOP/s"], rows), ""]
        io_rows = []
        for p in ("im2col", "col2im"):
            io_rows.append([p, fmt(r.ms(f"{p}/16to32_k3p0_26"), ".3f"), fmt(r.counter(f"{p}/16to32_k3p0_26", "GB/s"))])
        lines += ["im2col and col2im alone on the 16→32 conv (the image and the [144, 576] col matrix, each read or "
                  "written once, per image):", "", table(["pass", "ms per batch", "GB/s"], io_rows), ""]
    return lines, summary


def layers_section(out_dir):
    lines = ["## Memory-bound layers (batch 128)", ""]
    layers = thread_files(out_dir, "layers")
    if not layers:
        return lines + ["(bench_layers did not run)", ""]
    lines += ["GB/s = the tensors a pass must read and write, each once at 4 bytes an element, over the time "
              "(bench/layer_traffic.hpp lists them: ReLU 2E + 3E, Dropout 3E + 3E, BatchNorm 3E + 3E and 2E in "
              "eval, MaxPool 1.5E + 1.5E, E = the elements of x); *%bw* = that against the copy bandwidth measured "
              "at startup on the same threads. *fwd* runs in training mode; *fwd+bwd* is forward then backward.",
              ""]
    names = list(next(iter(layers.values())).by_name)
    header = ["layer", "pass", "shape"]
    for t in layers:
        header += [f"ms ({t}t)", f"GB/s ({t}t)", f"%bw ({t}t)"]
    rows = []
    for n in names:
        layer, p, shape = n.split("/")
        cells = [layer, {"fwd": "fwd", "fwd_bwd": "fwd+bwd", "fwd_eval": "eval fwd"}.get(p, p),
                 "[" + shape.replace("x", ", ") + "]"]
        for r in layers.values():
            cells += [fmt(r.ms(n), ".3f"), fmt(r.counter(n, "GB/s")), fmt(r.counter(n, "%bw"), ".0f")]
        rows.append(cells)
    return lines + [table(header, rows, ["l", "l", "l"] + ["r"] * (len(header) - 3)), ""]


def train_section(out_dir):
    lines = ["## Training step and evaluation (the MNIST net)", ""]
    steps = thread_files(out_dir, "train_step")
    if not steps:
        return lines + ["(bench_train_step did not run)", ""], {}
    header = ["", *[f"{t} thread{'s' if t > 1 else ''}" for t in steps]]
    step = {t: r.ms("BM_TrainStep") for t, r in steps.items()}
    rows = [["training step, batch 128 (ms)", *[fmt(step[t], ".2f") for t in steps]],
            [f"epoch estimate = {STEPS_PER_EPOCH} × step (s)",
             *[fmt(None if step[t] is None else STEPS_PER_EPOCH * step[t] / 1e3, ".2f") for t in steps]],
            ["conv GFLOP/s in a step", *[fmt(r.counter("BM_TrainStep", "GFLOP/s"), ".0f") for r in steps.values()]],
            ["the step's share of the FMA peak", *[fmt(r.counter("BM_TrainStep", "%peak"), ".0f") + "%"
                                                   for r in steps.values()]],
            ["workers' idle time per step (ms)", *[fmt(r.counter("BM_TrainStep", "idle_ms"), ".2f")
                                                   for r in steps.values()]],
            ["training-mode forward, batch 128, per image (µs)",
             *[fmt(r.counter("BM_TrainForward", "us_per_image"), ".1f") for r in steps.values()]],
            ["evaluation (infer, 8 per thread) per image (µs)",
             *[fmt(r.counter("BM_Evaluate10k/batch:128/infer_per_thread:8", "us_per_image"), ".1f")
               for r in steps.values()]],
            ["caller's wait for the workers per step (ms)", *[fmt(r.counter("BM_TrainStep", "wait_ms"), ".2f")
                                                              for r in steps.values()]],
            *[[label, *[fmt(None if r.ms(name) is None else r.ms(name) / 1e3, ".3f") for r in steps.values()]]
              for label, name in (
                  ("evaluation of 10k, batch 128, infer (s)", "BM_Evaluate10k/batch:128/infer_per_thread:8"),
                  ("evaluation of 10k, batch 128, infer, 4 per thread (s)", "BM_Evaluate10k/batch:128/infer_per_thread:4"),
                  ("evaluation of 10k, batch 128, infer, 16 per thread (s)",
                   "BM_Evaluate10k/batch:128/infer_per_thread:16"),
                  ("evaluation of 10k, batch 128, forward (s)", "BM_Evaluate10k/batch:128/infer_per_thread:0"),
                  ("evaluation of 10k, batch 1000, infer (s)", "BM_Evaluate10k/batch:1000/infer_per_thread:8"))]]
    lines += ["bench_train_step: one step on a fixed random batch (forward, NLL loss, backward, SGD momentum; no data "
              "pipeline), and eval-mode passes over 10,000 images: *infer* (Sequential::infer, what evaluate() and the "
              "mnist example run: each thread runs its share of the batch, 8 images at a time, through all the layers) and *forward* "
              "(the whole batch through one layer after another).", "",
              table(header, rows), ""]
    # Per-layer profile.
    layer_names = sorted((n for n in next(iter(steps.values())).by_name if n.startswith("BM_NetLayer/")),
                         key=lambda n: int(n.split("/")[1]))
    if layer_names:
        header = ["#", "layer, input"]
        for t in steps:
            header += [f"µs ({t}t)", f"share ({t}t)", f"rate ({t}t)"]
        totals = {t: sum(r.ms(n) or 0 for n in layer_names) for t, r in steps.items()}
        rows = []
        for n in layer_names:
            label = next((r.get(n) or {}).get("label", "") for r in steps.values())
            cells = [n.split("/")[1], label]
            for t, r in steps.items():
                ms = r.ms(n)
                cells += [fmt(None if ms is None else ms * 1e3, ".0f"),
                          fmt(None if ms is None or not totals[t] else 100 * ms / totals[t], ".1f") + "%",
                          layer_rate(r, n)]
            rows.append(cells)
        rows.append(["", "**sum**", *sum(([f"**{totals[t] * 1e3:.0f}**", "", ""] for t in steps), [])])
        lines += ["Each layer alone, forward + backward at its real input shape (training mode), on its own buffers "
                  "as a Sequential hands them; *rate* is a convolution's GFLOP/s and share of the FMA peak, or a "
                  "memory-bound layer's GB/s on bench_layers' yardstick and share of the copy bandwidth:", "",
                  table(header, rows, ["r", "l"] + ["r"] * (len(header) - 2)), ""]
    return lines, step


def layer_rate(r, name):
    """BM_NetLayer's rate cell: "GFLOP/s (x% peak)" for a convolution, "GB/s (x% bw)" for a memory-bound layer."""
    if r.counter(name, "%peak") is not None:
        return f"{r.counter(name, 'GFLOP/s'):.0f} GFLOP/s ({r.counter(name, '%peak'):.0f}%)"
    if r.counter(name, "%bw") is not None:
        return f"{r.counter(name, 'GB/s'):.1f} GB/s ({r.counter(name, '%bw'):.0f}%)"
    return ""


def gemm_section(out_dir):
    lines = ["## GEMM kernels: ours against Eigen (one thread per product)", ""]
    r = Results(os.path.join(out_dir, "gemm.json"))
    if not r.ok:
        return lines + ["(bench_gemm did not run)", ""]
    shapes = []
    for n in r.by_name:
        m = re.match(r"gemm/(forward|backward_data|backward_weights)/ours/(\d+x\d+x\d+)$", n)
        if m and m.group(2) not in shapes:
            shapes.append(m.group(2))
    rows = []
    for s in shapes:
        for p in ("forward", "backward_data", "backward_weights"):
            ours, eigen = r.counter(f"gemm/{p}/ours/{s}", "GFLOP/s"), r.counter(f"gemm/{p}/eigen/{s}", "GFLOP/s")
            rows.append([s.replace("x", "×"), p.replace("_", "-"), fmt(ours, ".0f"), fmt(eigen, ".0f"),
                         fmt(None if not ours or not eigen else ours / eigen, ".2f")])
    lines += ["bench_gemm: one image's product, O×K×L = rows of W × C·kh·kw × outH·outW, GFLOP/s.", "",
              table(["O×K×L", "product", "ours", "Eigen", "ours / Eigen"], rows), ""]
    rows = []
    for impl in ("ours", "eigen"):
        for n in r.by_name:
            m = re.match(rf"gemm/all_three/{impl}/(\S+)/threads:(\d+)$", n)
            if m:
                rows.append([impl, m.group(1).replace("x", "×"), m.group(2), fmt(r.counter(n, "GFLOP/s"), ".0f")])
    if rows:
        lines += ["The 16→32 conv's three products back to back, each thread on its own operands:", "",
                  table(["impl", "O×K×L", "threads", "GFLOP/s"], rows), ""]
    return lines


def peak_section(out_dir):
    lines = ["## FMA peak", ""]
    r = Results(os.path.join(out_dir, "peak.json"))
    rows = []
    for n in r.by_name:
        m = re.match(r"BM_FmaPeak/threads:(\d+)$", n)
        if m:
            rows.append([m.group(1), fmt(r.counter(n, "GFLOP/s"), ".0f"), (r.get(n) or {}).get("label", "")])
    if not rows:
        return lines + ["(bench_peak did not run)", ""]
    lines += ["bench_peak: independent FMAs in the vectors of the kernel ISA, summed over the threads.", "",
              table(["threads", "GFLOP/s", "ISA"], rows, ["r", "r", "l"]), ""]
    bw = {}
    for n in r.by_name:
        m = re.match(r"BM_MemoryBandwidth/kind:(\d+)/threads:(\d+)$", n)
        if m:
            bw.setdefault(int(m.group(2)), {})[int(m.group(1))] = r.counter(n, "GB/s")
    if bw:
        rows = [[t, *[fmt(v.get(k), ".1f") for k in (0, 1, 2)]] for t, v in sorted(bw.items())]
        lines += ["## Memory bandwidth", "",
                  "bench_peak's BM_MemoryBandwidth: 256 MB buffers (far beyond the caches) split over minitorch's "
                  "threads, in the kernel ISA's vectors; GB/s counts the bytes the loop reads plus those it writes "
                  "(copy: both). The memory-bound layers' *%bw* below is their yardstick GB/s against the copy "
                  "figure of the same thread count.", "",
                  table(["threads", "read GB/s", "write GB/s", "copy GB/s"], rows), ""]
    return lines


def rss_section(out_dir):
    lines = ["## Peak memory", ""]
    path = os.path.join(out_dir, "rss.txt")
    if not os.path.exists(path):
        return lines + ["(not measured in this run)", ""], None
    text = open(path).read()
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", text)
    cmd = re.search(r'Command being timed: "(.*)"', text)
    cpu = re.search(r"Percent of CPU this job got: (\S+)", text)
    mb = int(m.group(1)) / 1024 if m else None
    train = ""
    try:
        log = open(os.path.join(out_dir, "rss_mnist.log")).read()
        t = re.search(r"^train: .*$", log, re.M)
        e = re.search(r"\[eval [^\]]*\]", log)
        train = (t.group(0) if t else "") + ("; " + e.group(0) if e else "")
    except OSError:
        pass
    lines += [f"Peak RSS of one training epoch plus the evaluation after it (`/usr/bin/time -v`): "
              f"**{fmt(mb, '.0f')} MB** (wall {wall.group(1) if wall else '?'}, "
              f"CPU use {cpu.group(1) if cpu else '?'}, 100% = one core busy).", "",
              f"    {os.path.relpath(cmd.group(1), REPO) if cmd and cmd.group(1).startswith(REPO) else (cmd.group(1) if cmd else '?')}",
              ""]
    if train:
        lines += [f"The run printed: `{train}`", ""]
    return lines, mb


def compile_section(out_dir):
    lines = ["## Compile time", ""]
    path = os.path.join(out_dir, "compile.json")
    if not os.path.exists(path):
        return lines + ["(not measured in this run)", ""]
    d = json.load(open(path))
    rounds = d.get("rounds", 1)
    rows = [[f"`{e.get('label', e['file'])}`", f"{e['seconds']:.1f}",
             " / ".join(f"{t:.1f}" for t in e.get("rounds", [e["seconds"]])),
             "1" if e["file"] == d.get("baseline") and not e.get("mode") else fmt(e.get("ratio"), ".2f")]
            for e in d["entries"]]
    lines += [f"The compiler on each file with the build's flags (the command line of examples/mnist/mnist.cpp from "
              f"compile_commands.json), {rounds} alternating round{'s' if rounds > 1 else ''}, medians. Each "
              "minitorch file twice: linked with the compiled part (`minitorch::compiled`, as the project's own "
              "build) and header-only (the same command without `-DMINITORCH_COMPILED_LIB`). "
              "bench/compile_probe.cpp includes only `<minitorch/minitorch.hpp>`, bench/compile/readme_model.cpp is "
              "the README's model in a few lines as a program, bench/compile/eigen_baseline.cpp includes "
              "`<Eigen/Dense>` and `<iostream>` and multiplies two matrices; the rebuild is `touch` and "
              "`cmake --build --target` (compile and link):", "",
              table(["what", "seconds (median)", "rounds", "× baseline"], rows), ""]
    if d["entries"]:
        lines += ["    " + d["entries"][0]["command"], ""]
    return lines


def compare_section(out_dir):
    lines = ["## PyTorch side by side", ""]
    path = os.path.join(out_dir, "compare.json")
    if not os.path.exists(path):
        return lines + ["Not run here (`scripts/bench --compare`, or `bench/compare_pytorch.sh` on its own).", ""], None
    d = json.load(open(path))
    m = d["median"]
    variants = [v for v in ("torch", "torch_reuse") if v in d]
    names = {"torch": f"PyTorch {d['torch_version']}", "torch_reuse": "PyTorch, glibc keeping freed memory"}
    header = ["", *[names[v] for v in variants], "minitorch", *[f"minitorch / {names[v]}" for v in variants]]
    rows = []
    for key, label, spec in (("train", "training epoch (s)", ".2f"), ("eval", "evaluation of 10k (s)", ".3f")):
        rows.append([label, *[fmt(m[f"{v}_{key}_s"], spec) for v in variants], fmt(m[f"minitorch_{key}_s"], spec),
                     *[f"**{m[f'{key}_ratio_vs_{v}']:.3f}**" for v in variants]])
    faults = []
    for v in variants:
        per_step = d[v].get("train_minor_faults_per_step", [])
        if per_step:
            faults.append(f"{names[v]}: {statistics.median(per_step):.0f} page faults per step")
    lines += [f"bench/compare_pytorch.sh: {d['rounds']} alternating round(s) of {d['epochs_per_run']} epoch(s), "
              f"{d['threads']} thread(s) on both sides, medians. " + "; ".join(faults) + ".", "",
              table(header, rows), ""]
    return lines, d


def write(args):
    info = machine(args.build_dir)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["# Benchmarks", ""]
    if args.quick:
        lines += ["> **QUICK MODE — placeholder numbers.** `scripts/bench --quick` ran every benchmark once for a few "
                  "milliseconds only to check that the suite works; none of the figures below is a measurement. "
                  "Run `scripts/bench` (or `scripts/bench --compare`) on a quiet machine to regenerate this page.", ""]
    how = ("one short run of each benchmark (quick mode)" if args.quick else
           "the median of 5 repetitions of each benchmark (Google Benchmark) unless noted")
    peak_ctx = Results(os.path.join(args.out_dir, "peak.json")).context
    load = peak_ctx.get("load_avg")
    kernel_isa = peak_ctx.get("minitorch_isa", "?") + (
        f" (lowered with MINITORCH_ISA={os.environ['MINITORCH_ISA']})" if os.environ.get("MINITORCH_ISA") else
        " (the best this CPU supports)")
    lines += [f"Generated by `scripts/bench` on {now}: {how}, all from one run of the script.", "",
              table(["", ""], [
                  ["CPU", f"{info['cpu']} ({info['isa']})"],
                  ["kernel ISA (every figure below)", kernel_isa],
                  ["cores", f"{info['cores']} available, {info['logical_cpus']} logical CPUs in /proc/cpuinfo"],
                  ["commit", f"`{info['commit']}` {info['commit_subject']}" +
                   (" (with uncommitted changes)" if info["dirty"] else "")],
                  ["compiler", f"{info['compiler']}, `{info['flags']}` ({info['build_type']})"],
                  ["date", now],
                  ["load average before the first benchmark",
                   " / ".join(f"{x:.2f}" for x in load) + " (1 / 5 / 15 min; near 0 on a quiet machine)"
                   if load else "?"]], ["l", "l"]), ""]
    cmds = os.path.join(args.out_dir, "commands.txt")
    if os.path.exists(cmds):
        lines += ["The commands, in order (JSON in `out/bench/`):", "", "```sh", open(cmds).read().rstrip(), "```", ""]

    lines += peak_section(args.out_dir)
    conv_lines, conv_summary = conv_section(args.out_dir)
    lines += conv_lines
    lines += layers_section(args.out_dir)
    train_lines, step = train_section(args.out_dir)
    lines += train_lines
    lines += gemm_section(args.out_dir)
    rss_lines, rss_mb = rss_section(args.out_dir)
    lines += rss_lines
    lines += compile_section(args.out_dir)
    cmp_lines, cmp = compare_section(args.out_dir)
    lines += cmp_lines

    # Closing note: the acceptance figures of the speed issues (6 and 14), as measured in this run.
    lines += ["## Against the speed targets", ""]
    rows = []
    if cmp:
        for v in ("torch", "torch_reuse"):
            if v in cmp:
                who = "PyTorch" if v == "torch" else "PyTorch (glibc keeping freed memory)"
                for key, what, bound in (("train", "training epoch", 0.30), ("eval", "evaluation of 10k", 0.35)):
                    ratio = cmp["median"][f"{key}_ratio_vs_{v}"]
                    rows.append([f"{what}, minitorch / {who}, {cmp['threads']} thread" +
                                 ("s" if cmp["threads"] > 1 else ""),
                                 f"≤ {bound:.2f}" + (" (goal 0.25)" if key == "train" else ""), f"{ratio:.3f}",
                                 "yes" if ratio <= bound else "**no**"])
    else:
        rows.append(["epoch and evaluation against PyTorch", "≤ 0.30 / ≤ 0.35", "not run", "–"])
    steps = thread_files(args.out_dir, "train_step")
    if steps:
        t = max(steps)
        r = steps[t]
        pct = r.counter("BM_TrainStep", "%peak")
        if pct is not None:
            rows.append([f"training step, {t} threads, % of the FMA peak", "≥ 40%", f"{pct:.0f}%",
                         "yes" if pct >= 40 else "**no**"])
        for n in r.by_name:
            if not n.startswith("BM_NetLayer/"):
                continue
            label = (r.get(n) or {}).get("label", "")
            if r.counter(n, "%peak") is not None and not label.startswith("Conv2d(16→32"):
                pct, bound, what = r.counter(n, "%peak"), 35, "% of the FMA peak"
            elif r.counter(n, "%bw") is not None:
                pct, bound, what = r.counter(n, "%bw"), 50, "% of the copy bandwidth"
            else:
                continue
            rows.append([f"#{n.split('/')[1]} {label}, {t} threads, {what}", f"≥ {bound}%", f"{pct:.0f}%",
                         "yes" if pct >= bound else "**no**"])
    if steps:
        for t, r in steps.items():
            fwd = r.counter("BM_TrainForward", "us_per_image")
            ev = r.counter("BM_Evaluate10k/batch:128/infer_per_thread:8", "us_per_image")
            if fwd and ev:
                rows.append([f"evaluation per image / training forward per image, {t} thread" + ("s" if t > 1 else ""),
                             "≤ 1", f"{ev / fwd:.2f}", "yes" if ev <= fwd else "**no**"])
    rows.append(["peak RSS of a training run", "≤ 200 MB", fmt(rss_mb, ".0f") + (" MB" if rss_mb else ""),
                 "–" if rss_mb is None else ("yes" if rss_mb <= 200 else "**no**")])
    lines += [table(["target", "bound", "this run", "met"], rows, ["l", "r", "r", "l"]), ""]
    if args.quick:
        lines += ["(Quick mode: these comparisons are meaningless here.)", ""]

    text = "\n".join(lines).rstrip() + "\n"
    tmp = args.doc + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, args.doc)
    print(f"wrote {args.doc}")


def main():
    ap = argparse.ArgumentParser(description="scripts/bench helpers")
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compile-time", help="time the compiler on each source")
    c.add_argument("--build-dir", required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--rounds", type=int, default=1, help="alternating rounds; medians are reported")
    c.add_argument("--baseline", help="a source every median is divided by (also timed)")
    c.add_argument("--rebuild", help="TARGET=SOURCE: also time touching SOURCE and rebuilding TARGET")
    c.add_argument("sources", nargs="+")
    w = sub.add_parser("write", help="write the Markdown report")
    w.add_argument("--out-dir", required=True)
    w.add_argument("--build-dir", required=True)
    w.add_argument("--doc", required=True)
    w.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    compile_time(a) if a.cmd == "compile-time" else write(a)


if __name__ == "__main__":
    main()
