#!/usr/bin/env bash
# The GPU checks of issue 17 in one run on a bare CUDA machine (Python 3.12, torch 2.11+, no
# network): the CUDA tests, every chapter at `smoke` with device=cuda (in parallel, two CPU threads
# each), then the GPU benchmarks alone, so that their timings are not shared with anything.
#
# Expects, beside the repository: .whl/*.whl (papermill, ipykernel, mnist1d, BackPACK and what
# they need that the machine lacks), .whl/extra (a trimmed POT: the 174 MB BSP module left out),
# .gpudata/fashion-mnist/*.gz and .gpudata/source/*.ipynb (the chapters, converted by jupytext
# here, so the GPU machine needs no jupytext): benchmarks/gpu_check_prepare.sh makes them. See
# book/reproducing.md, "Checking the CUDA paths".
# Writes its log and the executed notebooks (chapters.tar: a device call returns at most 8 files)
# under $OUT (default: ./gpu-check-out). CHAPTERS='fisher memorization' runs those chapters only;
# DEVICE=cpu, INSTALL=0 and BENCH=0 make a dry run here. The benchmarks are gpu_bench.sh, which
# also runs alone (after shards, say: benchmarks/gpu_shards.sh).
set -uo pipefail
OUT=${OUT:-$PWD/gpu-check-out}
DEVICE=${DEVICE:-cuda}
CHAPTER_TIMEOUT=${CHAPTER_TIMEOUT:-150}
mkdir -p "$OUT"
source "$(dirname "${BASH_SOURCE[0]}")/gpu_setup.sh"

step "chapters at smoke on $DEVICE (background)"
mkdir -p /tmp/chapters /tmp/executed
for name in $CHAPTERS; do
    ( start=$(date +%s)
      OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMBA_NUM_THREADS=1 timeout "$CHAPTER_TIMEOUT" \
          python3 -m papermill ".gpudata/source/$name.ipynb" "/tmp/executed/$name.ipynb" \
          -p profile smoke -p device "$DEVICE" --cwd /tmp/chapters > "/tmp/chapters/$name.log" 2>&1
      echo "chapter $name: rc $? in $(( $(date +%s) - start )) s" >> /tmp/chapters/summary
    ) &
done

step "CUDA tests"
OMP_NUM_THREADS=2 timeout 150 python3 -m pytest -q -s -p no:cacheprovider \
    tests/test_cuda.py 2>&1 | tail -60
OMP_NUM_THREADS=2 timeout 30 python3 -m pytest -q -p no:cacheprovider -m "not slow" tests/test_config.py 2>&1 | tail -3
wait
step "chapters"
cat /tmp/chapters/summary
for log in /tmp/chapters/*.log; do
    grep -q "PapermillExecutionError\|Error" "$log" && { echo "--- $log"; tail -25 "$log"; }
done
(cd /tmp/executed && tar cf "$OUT/chapters.tar" ./*.ipynb)
[[ ${BENCH:-1} == 0 ]] && { step "done"; exit 0; }

bash "$(dirname "${BASH_SOURCE[0]}")/gpu_bench.sh"
step "done"
