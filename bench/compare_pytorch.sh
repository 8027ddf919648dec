#!/usr/bin/env bash
# Side by side: one training epoch and one evaluation of the 10k test images, PyTorch against minitorch, on the same
# MNIST files with the same thread count, in alternating runs (torch, ours, torch, ours, …) so that a slow phase of
# the machine hits both. Prints both medians and the ratio minitorch / PyTorch. A tool for people, not a CI step:
# run it on a quiet machine.
#
#   bench/compare_pytorch.sh [--runs 3] [--threads 2] [--epochs 1] [--torch-malloc both] [--data data/mnist]
#                            [--isa avx2] [--build-dir build/release] [--no-build] [--json out/bench/compare.json]
#
#   --runs N       runs of each side (default 3); each run is a fresh process
#   --threads N    torch.set_num_threads(N) and mnist --threads N (default 2)
#   --epochs E     epochs timed per run (default 1); every epoch of every run is one sample of the median
#   --torch-malloc default | reuse | both   (default both)
#                  PyTorch allocates its activations afresh every step. With glibc's defaults the large blocks go
#                  back to the kernel when freed, so every step pays about 10k first-touch page faults again, which on
#                  this kind of VM can cost more than the step's arithmetic. "default" runs PyTorch as it ships;
#                  "reuse" runs it with MALLOC_MMAP_THRESHOLD_=16777216 MALLOC_TRIM_THRESHOLD_=1073741824, so glibc
#                  keeps the memory and reuses it (no faults after the first steps); "both" runs both in each round
#                  (torch, ours, torch_reuse) and reports the ratio against each. Page faults per step are printed.
#   --isa NAME     cap both sides at one instruction set (default: each side's best for this CPU):
#                  avx2     MINITORCH_ISA=avx2    ATEN_CPU_CAPABILITY=avx2    ONEDNN_MAX_CPU_ISA=AVX2
#                  avx512   MINITORCH_ISA=avx512  ATEN_CPU_CAPABILITY=avx512  ONEDNN_MAX_CPU_ISA=AVX512_CORE
#                  scalar   MINITORCH_ISA=scalar  ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=SSE41
#                  (the closest PyTorch has to scalar: no AVX)
#   --build-dir D  where the mnist example is built (default build/release, the `release` preset)
#   --no-build     use D/examples/mnist/mnist as it is
#   --json FILE    also write every sample and the medians as JSON (scripts/bench --compare puts them in the report)
#
# PyTorch side: bench/pytorch_epoch.py with Debian's /usr/bin/python3 and python3-torch (apt-get install
# python3-torch). minitorch side: the MNIST example with the same recipe, SGD lr 0.01 momentum 0.9, batch 128, no
# schedule, no augmentation:
#   mnist --data D --epochs E --scheduler none --lr 0.01 --momentum 0.9 --rotate 0 --threads N --progress lines --csv F
# whose CSV columns train_s and eval_s are the times of the training pass and of the evaluation after it (batch 128).
# Both sides keep the data in memory and exclude loading it; minitorch normalises each batch from bytes inside the
# timed epoch, PyTorch indexes pre-normalised float tensors.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=3 threads=2 epochs=1 data=data/mnist build_dir=build/release build=1 json="" torch_malloc=both isa=
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
need_value() { [ $# -ge 2 ] || { echo "compare_pytorch.sh: $1 needs a value" >&2; exit 2; }; }
positive() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "compare_pytorch.sh: $1 expects a whole number ≥ 1, got '$2'" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) need_value "$@"; positive "$1" "$2"; runs=$2; shift 2 ;;
    --threads) need_value "$@"; positive "$1" "$2"; threads=$2; shift 2 ;;
    --epochs) need_value "$@"; positive "$1" "$2"; epochs=$2; shift 2 ;;
    --torch-malloc) need_value "$@"; torch_malloc=$2; shift 2
      case "$torch_malloc" in
        default|reuse|both) ;;
        *) echo "compare_pytorch.sh: --torch-malloc expects default, reuse or both, got '$torch_malloc'" >&2; exit 2 ;;
      esac ;;
    --data) need_value "$@"; data=$2; shift 2 ;;
    --isa) need_value "$@"; isa=$2; shift 2
      case "$isa" in
        avx2|avx512|scalar) ;;
        *) echo "compare_pytorch.sh: --isa expects avx2, avx512 or scalar, got '$isa'" >&2; exit 2 ;;
      esac ;;
    --build-dir) need_value "$@"; build_dir=$2; shift 2 ;;
    --json) need_value "$@"; json=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compare_pytorch.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "compare_pytorch.sh: PyTorch is not installed for /usr/bin/python3 (apt-get install python3-torch)" >&2
  exit 1
fi
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  if [ ! -e "$data/$f" ] && [ ! -e "$data/$f.gz" ]; then
    echo "compare_pytorch.sh: $data/$f missing (scripts/fetch-mnist $data)" >&2
    exit 1
  fi
done

mnist=$build_dir/examples/mnist/mnist
if [ "$build" = 1 ]; then
  jobs=$(nproc 2>/dev/null || echo 2)
  if [ "$build_dir" = build/release ]; then
    [ -f build/release/CMakeCache.txt ] || cmake --preset release >/dev/null
    cmake --build --preset release --target mnist -j "$jobs" >/dev/null
  else
    cmake --build "$build_dir" --target mnist -j "$jobs" >/dev/null
  fi
fi
[ -x "$mnist" ] || { echo "compare_pytorch.sh: $mnist not found (build it, or drop --no-build)" >&2; exit 1; }

case "$torch_malloc" in
  default) variants=(torch) ;;
  reuse) variants=(torch_reuse) ;;
  both) variants=(torch torch_reuse) ;;
esac
reuse_env=(MALLOC_MMAP_THRESHOLD_=16777216 MALLOC_TRIM_THRESHOLD_=1073741824)
case "$isa" in
  avx2) export MINITORCH_ISA=avx2 ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 ;;
  avx512) export MINITORCH_ISA=avx512 ATEN_CPU_CAPABILITY=avx512 ONEDNN_MAX_CPU_ISA=AVX512_CORE ;;
  scalar) export MINITORCH_ISA=scalar ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=SSE41 ;;
esac
torch_cmd=(/usr/bin/python3 bench/pytorch_epoch.py --data "$data" --threads "$threads" --epochs "$epochs")
ours_cmd=("$mnist" --data "$data" --epochs "$epochs" --scheduler none --lr 0.01 --momentum 0.9 --rotate 0
          --threads "$threads" --progress lines)

[ -z "$json" ] || mkdir -p "$(dirname "$json")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "compare_pytorch.sh: $runs round(s), $epochs epoch(s) per run, $threads thread(s), data $data"
echo "  CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), ISA cap: ${isa:-none}" \
     "(MINITORCH_ISA=${MINITORCH_ISA:-} ATEN_CPU_CAPABILITY=${ATEN_CPU_CAPABILITY:-} ONEDNN_MAX_CPU_ISA=${ONEDNN_MAX_CPU_ISA:-})"
echo "  torch:       ${torch_cmd[*]}"
[ "$torch_malloc" = default ] || echo "  torch_reuse: env ${reuse_env[*]} ${torch_cmd[*]}"
echo "  minitorch:   ${ours_cmd[*]} --csv <tmp>"

show_torch() {  # file round variant
  python3 - "$@" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
steps = r["train_steps"]
for e in r["epochs"]:
    print(f"  round {sys.argv[2]} {sys.argv[3] + ':':12} train {e['train_s']:7.2f} s   eval {e['eval_s']:6.3f} s   "
          f"test accuracy {100 * e['test_acc']:.2f}%   page faults/step {e['train_minor_faults'] / steps:.0f}",
          flush=True)
PY
}
show_ours() {  # csv round
  python3 - "$@" <<'PY'
import csv, sys
for row in csv.DictReader(open(sys.argv[1])):
    print(f"  round {sys.argv[2]} {'minitorch:':12} train {float(row['train_s']):7.2f} s   "
          f"eval {float(row['eval_s']):6.3f} s   test accuracy {100 * float(row['test_acc']):.2f}%", flush=True)
PY
}

for round in $(seq 1 "$runs"); do
  if [ "${variants[0]}" = torch ]; then
    "${torch_cmd[@]}" > "$work/torch_$round.json"
    show_torch "$work/torch_$round.json" "$round" torch
  fi
  "${ours_cmd[@]}" --csv "$work/ours_$round.csv" > "$work/ours_$round.log"
  [ "$round" != 1 ] || grep -m1 -i 'kernels' "$work/ours_$round.log" | sed 's/^/  minitorch /' || true
  show_ours "$work/ours_$round.csv" "$round"
  if [ "${variants[-1]}" = torch_reuse ]; then
    env "${reuse_env[@]}" "${torch_cmd[@]}" > "$work/torch_reuse_$round.json"
    show_torch "$work/torch_reuse_$round.json" "$round" torch_reuse
  fi
done

python3 - "$work" "$runs" "$threads" "$epochs" "$json" "${isa:-none}" "${variants[@]}" <<'PY'
import csv, json, statistics, sys
work, runs, threads, epochs, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
isa_cap = sys.argv[6]
variants = sys.argv[7:]
med = statistics.median
result = {"threads": threads, "rounds": runs, "epochs_per_run": epochs, "torch_version": "", "isa_cap": isa_cap,
          "minitorch": {"train_s": [], "eval_s": []}, "median": {}}
for r in range(1, runs + 1):
    for row in csv.DictReader(open(f"{work}/ours_{r}.csv")):
        result["minitorch"]["train_s"].append(float(row["train_s"]))
        result["minitorch"]["eval_s"].append(float(row["eval_s"]))
m = result["median"]
m["minitorch_train_s"] = med(result["minitorch"]["train_s"])
m["minitorch_eval_s"] = med(result["minitorch"]["eval_s"])
for v in variants:
    samples = {"train_s": [], "eval_s": [], "train_minor_faults_per_step": [], "malloc_env": {}}
    for r in range(1, runs + 1):
        d = json.load(open(f"{work}/{v}_{r}.json"))
        result["torch_version"] = d["torch"]
        result["torch_cpu_capability"] = d.get("cpu_capability", "?")
        samples["malloc_env"] = d["malloc_env"]
        for e in d["epochs"]:
            samples["train_s"].append(e["train_s"])
            samples["eval_s"].append(e["eval_s"])
            samples["train_minor_faults_per_step"].append(e["train_minor_faults"] / d["train_steps"])
    result[v] = samples
    m[v + "_train_s"] = med(samples["train_s"])
    m[v + "_eval_s"] = med(samples["eval_s"])
    m["train_ratio_vs_" + v] = m["minitorch_train_s"] / m[v + "_train_s"]
    m["eval_ratio_vs_" + v] = m["minitorch_eval_s"] / m[v + "_eval_s"]
names = {"torch": "PyTorch", "torch_reuse": "PyTorch (reuse)"}
print(f"\nmedians of {len(result['minitorch']['train_s'])} epoch(s) each, {threads} thread(s), "
      f"ISA cap {isa_cap}, PyTorch {result['torch_version']} (ATen CPU capability "
      f"{result.get('torch_cpu_capability', '?')}):")
print(f"  {'':22}" + "".join(f"{names[v]:>17}" for v in variants) + f"{'minitorch':>11}" +
      "".join(f"{'ours / ' + names[v]:>25}" for v in variants))
for key, label, fmt in (("train", "training epoch (s)", "{:.2f}"), ("eval", "evaluation, 10k (s)", "{:.3f}")):
    print(f"  {label:22}" + "".join(f"{fmt.format(m[f'{v}_{key}_s']):>17}" for v in variants) +
          f"{fmt.format(m[f'minitorch_{key}_s']):>11}" +
          "".join(f"{m[f'{key}_ratio_vs_{v}']:>25.3f}" for v in variants))
if out:
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
    print(f"wrote {out}")
PY
