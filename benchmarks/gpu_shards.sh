#!/usr/bin/env bash
# One shard of every chapter's gpu profile at once on one bare CUDA machine (issue 17, item 5),
# the CUDA tests beside them, then the GPU benchmarks alone. Each shard starts no unit after
# LIMIT seconds and is stopped (SIGTERM: it still packs what it finished) after STOP seconds.
#
# Carries what benchmarks/gpu_check_prepare.sh makes (.whl/, .gpudata/fashion-mnist). The packs
# come back bundled in tar files of at most 15 MiB (a device call returns at most 8 files, 16 MiB
# each): unpack them, then `make gpu-merge FILES='packs/*.tar'` (book/reproducing.md).
#   SHARD=0 LIMIT=150 STOP=280 OUT=... benchmarks/gpu_shards.sh
# SHARD='0 1' runs shards 0 and 1 of each chapter side by side (trainings that are launch-bound
# leave a GPU mostly idle: two shards of one chapter use it better than one).
# CHAPTERS='fisher fisher_controls' runs those chapters only; COUNTS='fisher:1' gives a chapter
# its number of shards (n = 1: every unit in the chapter's order until LIMIT); ONLY='fisher:
# experiment=fig4 model_information:network=wide model_information:experiment=calibration'
# computes only those units of those chapters (python -m infolib.shard run --only); TESTS=0 and
# BENCH=0 leave out the CUDA tests and the benchmarks; MERGE (below) adds earlier packs first;
# WORK and SHARD_CACHE (gpu_setup.sh) move its work folder and cache (tests/test_gpu_scripts.py
# runs it here at PROFILE=smoke with INSTALL=0).
set -uo pipefail
OUT=${OUT:-$PWD/gpu-shards-out}
SHARD=${SHARD:-0}
LIMIT=${LIMIT:-150}
STOP=${STOP:-280}
PROFILE=${PROFILE:-gpu}  # smoke: the same path in seconds (INSTALL=0 here, with .venv's python3 first)
# Shards per chapter: 8 (the workflow's default), except where COUNTS says otherwise.
COUNTS=${COUNTS:-usable_information:3}
WORK=${WORK:-/tmp/packs}  # the shards' packs and logs before they are bundled into $OUT
# COUNTS and ONLY entries are chapter:value; a misspelt chapter would match nothing, silently
# (a chapter's 8 shards or all its units instead of those asked for): refused before anything runs
known=" $(cd notebooks && ls ./*.py | sed 's|^\./||; s|\.py$||' | tr '\n' ' ') "
for entry in $COUNTS ${ONLY:-}; do
    if [[ $entry != *:?* || $known != *" ${entry%%:*} "* ]]; then
        echo "STOPPED: '$entry' (COUNTS or ONLY) is not chapter:value with a chapter of notebooks/"
        exit 2
    fi
done
for entry in $COUNTS; do
    [[ ${entry##*:} =~ ^[1-9][0-9]*$ ]] || { echo "STOPPED: COUNTS entry '$entry': not a count"; exit 2; }
done
mkdir -p "$OUT" "$WORK" && rm -f "$WORK"/*.tar "$WORK"/*.log "$WORK"/summary "$WORK"/merge.txt
source "$(dirname "${BASH_SOURCE[0]}")/gpu_setup.sh"
# MERGE='.gpudata/packs/*.tar': packs an earlier call brought back, added to the cache first, so
# that a shard computes only the units they lack (the glob is expanded here). A pack refused
# (damaged, truncated) or a merge that crashes stops the script: the shards would spend the
# session computing again what that pack holds.
if [[ -n ${MERGE:-} ]]; then
    step "merge $MERGE"
    if ! python3 -m infolib.shard merge $MERGE > "$WORK"/merge.txt 2>&1; then
        grep -E "^REFUSED" "$WORK"/merge.txt
        tail -8 "$WORK"/merge.txt
        echo "STOPPED: the merge of MERGE='$MERGE' failed (above); no shard runs. Bring the" \
            "refused packs again, or leave them out of MERGE."
        exit 1
    fi
    tail -8 "$WORK"/merge.txt
fi

step "shard(s) $SHARD of every chapter's $PROFILE profile (background; limit $LIMIT s, stop $STOP s)"
for shard in $SHARD; do
    for chapter in $CHAPTERS; do
        count=8
        for entry in $COUNTS; do [[ ${entry%%:*} == "$chapter" ]] && count=${entry##*:}; done
        if (( shard >= count )); then
            echo "shard $chapter $shard/$count: not run (the chapter has $count shard(s))" \
                >> "$WORK"/summary
            continue
        fi
        only=()
        for entry in ${ONLY:-}; do
            [[ ${entry%%:*} == "$chapter" ]] && only+=(--only "${entry#*:}")
        done
        ( start=$(date +%s)
          OMP_NUM_THREADS=2 MKL_NUM_THREADS=2 NUMBA_NUM_THREADS=2 timeout -s TERM -k 20 "$STOP" \
              python3 -m infolib.shard run "notebooks/$chapter.py" --shard "$shard/$count" \
              --profile "$PROFILE" --time-limit "$LIMIT" "${only[@]}" \
              -o "$WORK/$chapter-$PROFILE-${shard}of$count.tar" \
              > "$WORK/$chapter-$shard.log" 2>&1
          echo "shard $chapter $shard/$count: rc $? in $(( $(date +%s) - start )) s" \
              >> "$WORK"/summary
        ) &
    done
done

if [[ ${TESTS:-1} != 0 ]]; then
    step "CUDA tests (beside the shards: timings not meaningful)"
    OMP_NUM_THREADS=2 timeout 200 python3 -m pytest -q -s -p no:cacheprovider tests/test_cuda.py \
        > "$WORK"/cuda-tests.log 2>&1
    rc=$?
    tail -40 "$WORK"/cuda-tests.log
    echo "CUDA tests: rc $rc$( (( rc == 124 )) && echo ' (timed out: no summary line above)')"
fi
wait
step "shards"
cat "$WORK"/summary
for log in "$WORK"/*.log; do
    echo "--- $log"
    grep -E "shard [0-9]+/[0-9]+: |passed over|Error|error" "$log" | grep -v Warning | tail -12
done
cp "$WORK"/*.log "$OUT/" 2> /dev/null
# Each pack's manifest (unit times) comes back in logs.tar, also when its pack is too large to.
for pack in "$WORK"/*.tar; do
    [[ -e $pack ]] && tar xOf "$pack" manifest.json > "$OUT/$(basename "$pack" .tar).manifest.log"
done
# Packs bundled in order into tar files of at most 15 MiB (a pack larger than that goes alone);
# an earlier call's bundles in a reused OUT are not this call's.
rm -f "$OUT"/packs-*.tar
bundle=0 size=0
for pack in "$WORK"/*.tar; do
    [[ -e $pack ]] || continue
    bytes=$(stat -c %s "$pack")
    (( size > 0 && size + bytes > 15 * 2**20 )) && { bundle=$((bundle + 1)); size=0; }
    tar rf "$OUT/packs-$bundle.tar" -C "$WORK" "$(basename "$pack")"
    size=$((size + bytes))
done
(cd "$OUT" && tar cf logs.tar ./*.log && rm -f ./*.log)
ls -la "$OUT"
[[ ${BENCH:-1} == 0 ]] && { step "done"; exit 0; }

step "benchmarks (alone)"
timeout 150 python3 benchmarks/bench_pairwise_mi.py --large-only --kernels --device cuda
echo "bench_pairwise_mi: rc $? (124: timed out)"
timeout 120 python3 benchmarks/bench_usable.py --device cuda --many-only
echo "bench_usable: rc $? (124: timed out)"
step "done"
