#!/usr/bin/env bash
# Prepares, on a machine with a network and this repository's .venv, what benchmarks/gpu_check.sh
# carries to a bare CUDA machine (Python 3.12 there; numpy, scipy, matplotlib, pandas, torch,
# scikit-learn, numba, pytest and their usual dependencies already present):
#   .whl/        papermill, ipykernel, jupytext's dependencies, mnist1d, BackPACK: wheels for
#                CPython 3.12 on x86-64 Linux, without the packages the machine has
#   .whl/extra/  POT unpacked, without its 174 MB compiled BSP module (infolib does not use it),
#                so that everything fits the 64 MiB a device call may carry
#   .gpudata/    Fashion-MNIST (from $INFOLIB_DATA or the Debian package) and the chapters
#                converted to notebooks by jupytext, with the sha256 of the notebooks/*.py they
#                came from (gpu_check.sh refuses to run stale ones); .gpudata/packs, packs an
#                earlier shard call brought back, is kept
# Both folders are for the device call only: add them to .git/info/exclude.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PRESENT='numpy scipy matplotlib contourpy cycler fonttools kiwisolver pillow pyparsing
python_dateutil packaging requests certifi charset_normalizer idna urllib3 pyyaml tzdata tqdm
psutil typing_extensions click markdown_it_py mdurl pygments attrs'
download() {
    python3 -m pip download --quiet --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
        --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        --platform manylinux1_x86_64 --platform any "$@"
}
rm -rf .whl .gpudata/fashion-mnist .gpudata/source
mkdir -p .whl/extra .gpudata/fashion-mnist .gpudata/source
download -d .whl papermill ipykernel POT mnist1d==0.0.2.post1
download --no-deps -d .whl backpack-for-pytorch==1.7.1 unfoldNd==0.2.3 einops  # backpack imports einops
for name in $PRESENT; do rm -f .whl/"$name"-*.whl; done
(cd .whl/extra && python3 -m zipfile -e ../pot-*.whl . && rm -f ot/bsp/bsp_wrap*.so)
cat > .whl/extra/ot/bsp/__init__.py <<'STUB'
# Trimmed for the GPU check: the compiled BSP-OT module is left out (infolib does not use it).
def compute_bspot_bijection(*args, **kwargs):
    raise ImportError("ot.bsp was left out of this trimmed copy of POT")


merge_bijections = compute_bspot_bijection
STUB
rm -f .whl/pot-*.whl
data=${INFOLIB_DATA:-data}/fashion-mnist
[[ -d $data ]] || data=/usr/share/datasets/fashion-mnist
cp "$data"/*.gz .gpudata/fashion-mnist/
for source in notebooks/*.py; do
    .venv/bin/jupytext --quiet --set-kernel python3 --to ipynb \
        -o ".gpudata/source/$(basename "$source" .py).ipynb" "$source"
done
(cd notebooks && sha256sum ./*.py) > .gpudata/source/SOURCES.sha256
du -sh .whl .gpudata
