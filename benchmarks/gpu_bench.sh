#!/usr/bin/env bash
# The GPU benchmarks of issue 17 (item 4), one after the other and alone on the machine, so that
# no timing is shared: pairwise_mi at N = 512 x S = 10,000 against the scikit-learn loop,
# fisher_trace against the per-sample loop and BackPACK, usable_information_many against single
# decoders, 8 seeds trained together against a loop, and the toy's escape times on CUDA against the
# CPU's. Run by gpu_check.sh after its checks, or by hand once the wheels are installed
# (gpu_setup.sh). Prints, never asserts; a benchmark that fails or runs out of time is named
# (a killed one just stops printing), and the script then exits 1.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
failed=0
bench() {  # bench SECONDS COMMAND...: the command under a time limit, named if it did not finish
    timeout "$1" "${@:2}"
    local rc=$?
    if (( rc == 124 || rc == 137 )); then
        echo "== TIMED OUT after $1 s (its last lines are not its result): ${*:2}"
    elif (( rc != 0 )); then
        echo "== FAILED (rc $rc): ${*:2}"
    fi
    (( rc == 0 )) || failed=1
}
echo "== $(date +%T) benchmarks (alone)"
bench 150 python3 benchmarks/bench_pairwise_mi.py --large-only --device cuda
bench 60 python3 benchmarks/bench_fisher.py --device cuda --chunk-size 512
bench 150 python3 benchmarks/bench_usable.py --device cuda --no-batch-sizes
bench 60 python3 benchmarks/bench_ensemble.py --device cuda
bench 120 python3 benchmarks/check_escape_devices.py  # CUDA escape times against the CPU's
exit $failed
