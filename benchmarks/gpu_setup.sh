# Sourced by benchmarks/gpu_check.sh and gpu_shards.sh on a bare CUDA machine: the carried wheels
# (.whl/, made by gpu_check_prepare.sh) installed into /tmp/site, the carried data (.gpudata/),
# a throwaway result cache, and `step`, which stamps each part of the log. INSTALL=0 skips the
# wheels (a machine that has them, or a dry run here).
# SHARD_CACHE: the cache the scripts use (a fresh folder on the device machine; a test's own here).
export PYTHONUNBUFFERED=1 INFOLIB_DATA=$PWD/.gpudata INFOLIB_CACHE=${SHARD_CACHE:-/tmp/infolib-cache}
[[ ${INSTALL:-1} == 0 ]] || python3 -m pip install -q --no-index --no-deps --no-compile \
    --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=$PWD:$PWD/.whl/extra:/tmp/site
step() { echo "== $(date +%T) $*"; }
# The chapters a script runs: CHAPTERS='fisher memorization', or every notebooks/*.py.
CHAPTERS=${CHAPTERS:-$(cd notebooks && ls ./*.py | sed 's|^\./||; s|\.py$||')}

step "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)"
