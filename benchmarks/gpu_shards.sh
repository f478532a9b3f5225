#!/usr/bin/env bash
# One shard of every chapter's gpu profile at once on one bare CUDA machine (issue 17, item 5),
# the CUDA tests beside them, then the GPU benchmarks alone. Each shard starts no unit after
# LIMIT seconds and is stopped (SIGTERM: it still packs what it finished) after STOP seconds.
#
# Carries what benchmarks/gpu_check_prepare.sh makes (.whl/, .gpudata/fashion-mnist). The packs
# come back in seven files (a device call returns at most 8, 16 MiB each): unpack them, then
# `make gpu-merge FILES='packs/*.tar'` (book/reproducing.md).
#   SHARD=0 LIMIT=150 STOP=280 OUT=... benchmarks/gpu_shards.sh
set -uo pipefail
OUT=${OUT:-$PWD/gpu-shards-out}
SHARD=${SHARD:-0}
LIMIT=${LIMIT:-150}
STOP=${STOP:-280}
PROFILE=${PROFILE:-gpu}  # smoke: the same path in seconds (INSTALL=0 here, with .venv's python3 first)
# Shards per chapter: 8 (the workflow's default), except where COUNTS says otherwise.
COUNTS=${COUNTS:-usable_information:3}
mkdir -p "$OUT" /tmp/packs
source "$(dirname "${BASH_SOURCE[0]}")/gpu_setup.sh"

step "shard $SHARD of every chapter's $PROFILE profile (background; limit $LIMIT s, stop $STOP s)"
for source in notebooks/*.py; do
    chapter=$(basename "$source" .py) count=8
    for entry in $COUNTS; do [[ ${entry%%:*} == "$chapter" ]] && count=${entry##*:}; done
    ( start=$(date +%s)
      OMP_NUM_THREADS=2 MKL_NUM_THREADS=2 NUMBA_NUM_THREADS=2 timeout -s TERM -k 20 "$STOP" \
          python3 -m infolib.shard run "notebooks/$chapter.py" --shard "$SHARD/$count" \
          --profile "$PROFILE" --time-limit "$LIMIT" -o "/tmp/packs/$chapter-$PROFILE-${SHARD}of$count.tar" \
          > "/tmp/packs/$chapter.log" 2>&1
      echo "shard $chapter $SHARD/$count: rc $? in $(( $(date +%s) - start )) s" >> /tmp/packs/summary
    ) &
done

step "CUDA tests (beside the shards: timings not meaningful)"
OMP_NUM_THREADS=2 timeout 200 python3 -m pytest -q -p no:cacheprovider tests/test_cuda.py \
    2>&1 | tail -40
wait
step "shards"
cat /tmp/packs/summary
for log in /tmp/packs/*.log; do
    echo "--- $log"
    grep -E "shard [0-9]+/[0-9]+: |passed over|Error|error" "$log" | grep -v Warning | tail -12
done
cp /tmp/packs/*.log "$OUT/" 2> /dev/null
(cd /tmp/packs && tar cf "$OUT/packs-fisher-memorization.tar" fisher*.tar memorization-*.tar 2> /dev/null
 tar cf "$OUT/packs-beyond-model-distance.tar" memorization_beyond-*.tar model_information-*.tar \
     information_distance-*.tar 2> /dev/null
 cp usable_information*.tar "$OUT/")  # alone: their trained networks make 37 MB together
(cd "$OUT" && tar cf logs.tar ./*.log && rm -f ./*.log)
ls -la "$OUT"

step "benchmarks (alone)"
timeout 120 python3 benchmarks/bench_pairwise_mi.py --large-only --kernels --device cuda
timeout 90 python3 benchmarks/bench_usable.py --device cuda --many-only
step "done"
