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
