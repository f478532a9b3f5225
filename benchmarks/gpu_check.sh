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
# Exits 1 when a CUDA test, a chapter or a benchmark failed or ran out of time (each says so).
set -uo pipefail
OUT=${OUT:-$PWD/gpu-check-out}
DEVICE=${DEVICE:-cuda}
CHAPTER_TIMEOUT=${CHAPTER_TIMEOUT:-150}
if ! (cd notebooks && sha256sum --quiet --strict -c ../.gpudata/source/SOURCES.sha256); then
    echo "STOPPED: .gpudata/source holds chapters converted from other notebooks/*.py (above):" \
        "run benchmarks/gpu_check_prepare.sh again"
    exit 1
fi
# a cache of its own: units an earlier call computed (or packs merged) would pass for this run's
SHARD_CACHE=${SHARD_CACHE:-$(mktemp -d /tmp/gpu-check-cache.XXXXXX)}
mkdir -p "$OUT"
source "$(dirname "${BASH_SOURCE[0]}")/gpu_setup.sh"
failed=0

step "chapters at smoke on $DEVICE (background)"
rm -rf /tmp/chapters /tmp/executed  # an earlier call's notebooks and lines are not this run's
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
    tests/test_cuda.py > /tmp/chapters/cuda-tests.txt 2>&1
rc=$?
tail -60 /tmp/chapters/cuda-tests.txt
echo "CUDA tests: rc $rc$( (( rc == 124 )) && echo ' (timed out)')"
(( rc == 0 )) || failed=1
OMP_NUM_THREADS=2 timeout 30 python3 -m pytest -q -p no:cacheprovider -m "not slow" \
    tests/test_config.py > /tmp/chapters/config-tests.txt 2>&1
rc=$?
tail -3 /tmp/chapters/config-tests.txt
echo "config tests: rc $rc"
(( rc == 0 )) || failed=1
wait
step "chapters"
cat /tmp/chapters/summary
grep -qv ": rc 0 in " /tmp/chapters/summary && failed=1
for log in /tmp/chapters/*.log; do
    grep -q "PapermillExecutionError\|Error" "$log" && { echo "--- $log"; tail -25 "$log"; }
done
(cd /tmp/executed && tar cf "$OUT/chapters.tar" ./*.ipynb)
if [[ ${BENCH:-1} != 0 ]]; then
    bash "$(dirname "${BASH_SOURCE[0]}")/gpu_bench.sh" || failed=1
fi
step "done$( (( failed )) && echo ': something failed (above)')"
exit $failed
