"""infolib: small, tested estimators of information in deep networks.

One module per idea: ``data`` (datasets and tasks), ``models`` (networks and activation capture),
``train`` (one seeded training loop), ``usable`` (usable information), ``config`` (profiles and
devices), ``cache`` (resumable results), ``fingerprint`` (the code a cached result depends on),
``claims`` (paper claims and their verdicts), ``neurons``
(neuron entropy and KSG mutual information), ``complexity``
(norm-based complexity measures), ``fisher`` (Fisher information of the weights), ``coding``
(prequential codelengths and model information), ``distance`` (the information distance
d_p and baseline distances between networks), ``reparam`` (function-preserving and other
re-parameterizations of a network).
"""

__version__ = "0.1.0"

import os as _os
from pathlib import Path as _Path

#: cuBLAS's workspace for reproducible matrix products on CUDA (``infolib.config.deterministic``):
#: torch reads it once, when a process first uses cuBLAS (``getChosenWorkspaceSize`` keeps it in
#: a static), so it is set when infolib is imported, before a chapter touches CUDA: set inside
#: ``deterministic()`` after a matrix product had run, it silenced torch's check for it without
#: changing the workspace. A value set before is kept.
_os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


def _stat(path: _Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


#: {module: (mtime_ns, size)} of infolib's source files when this process imported infolib: the
#: fingerprint of a module edited on disk since then would describe code that is not running
#: (:func:`infolib.fingerprint.module_digest` refuses it)
FILES_AT_IMPORT = {f"infolib.{path.stem}": _stat(path)
                   for path in _Path(__file__).parent.glob("*.py")}
