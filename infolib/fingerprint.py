"""What code a cached unit depends on: the fingerprint that :func:`infolib.cache.cached` keys on.

A unit is a callable, ``compute``. Its fingerprint is built from

- the source of ``compute`` and of every function of the same chapter (or script) that it calls,
  transitively: each function's syntax tree without docstrings, comments, formatting or line
  numbers, so editing a comment or moving a cell changes nothing and editing a line of code does;
- the plain constants those functions read from the chapter's globals, closures and defaults
  (numbers, strings, sets, ranges, enum members, and tuples, lists, dicts and dataclasses of
  them), and the values of ``settings.knob`` (and ``settings.profile``) they read from a
  :class:`infolib.config.Settings` (all of them when they use the object whole);
- the functions in the lists, tuples and dicts they read (a dict of network builders);
- the classes of the other objects they read (a chapter's dataclass or model, an infolib
  ``BlockTraining``): a chapter class's methods and plain class attributes, an infolib class's
  module;
- numpy arrays and torch tensors of at most :data:`ARRAY_DIGEST_BYTES` they read (a grid of
  betas), by a digest of their dtype, shape and values with the last bits of each float dropped
  (so that a last-bit difference between two machines' vector units does not change it);
- the functions a decorator wraps (``@torch.no_grad()``, ``functools.cache``: ``__wrapped__``);
- the ``infolib`` modules they use, with the ``infolib`` modules those import, transitively, as
  the files were when this process imported ``infolib`` (a module edited on disk since is an
  error: the code running is not the code on disk; so is a chapter file whose functions no
  longer compile to the code running, when run as ``python notebooks/x.py``).

Larger data (arrays, tensors, data frames, models), and the items of a list, tuple or dict that
is not plain other than functions, are not part of it: the unit's key must describe the data. A
unit that needs another unit's result calls that unit's cached function (its code is then part
of the fingerprint) rather than reading the result from a global. Neither are the device,
library versions or file paths, so the same unit computed on another machine, or under papermill
instead of ``python notebooks/x.py``, has the same fingerprint. What this cannot see (a file
read, a module outside ``infolib`` edited) a chapter adds through ``cached(..., version=...)``.

A plain value is read when the fingerprint is made, so one that changes between units changes
their fingerprints: a callback that appends to a list it closes over gives each unit computed
after it another entry name. Such a callback should return what it records (as
:func:`infolib.train.fit` collects it) or keep it in an attribute, which is not read.
"""

from __future__ import annotations

import ast
import dataclasses
import enum
import functools
import hashlib
import inspect
import json
import linecache
import numbers
import sys
import sysconfig
import types
from pathlib import Path
from typing import Any

import numpy as np

from infolib import FILES_AT_IMPORT

PACKAGE = "infolib"
#: arrays and tensors up to this many bytes that a unit reads are digested; larger ones are data
#: that the unit's key must describe
ARRAY_DIGEST_BYTES = 16 * 2**20
_PACKAGE_DIR = Path(__file__).resolve().parent
_LIBRARY_DIRS = tuple(
    str(Path(p).resolve()) for p in {sysconfig.get_path("stdlib"), sysconfig.get_path("purelib"),
                                     sysconfig.get_path("platlib")} if p
)


def fingerprint(compute, *, version: Any = None) -> dict:
    """The parts the fingerprint of ``compute`` is made of, as a JSON-serializable dict:
    ``functions`` ({qualified name: sha256 of its canonical source}), ``constants`` ({global name
    or ``settings.knob``: value}), ``infolib`` ({module: sha256 of its canonical source}) and
    ``version``. :func:`digest` hashes it."""
    visitor = _Visitor()
    visitor.visit_callable(compute)
    return {
        "functions": dict(sorted(visitor.functions.items())),
        "constants": dict(sorted(visitor.constants.items())),
        "infolib": {name: module_digest(name) for name in sorted(_closure(visitor.modules))},
        "version": _checked_version(version),
    }


def digest(parts: dict) -> str:
    """sha256 (hex) of a fingerprint's canonical JSON."""
    text = json.dumps(parts, sort_keys=True, allow_nan=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class _Visitor:
    """Walks from ``compute`` through the functions it reaches, collecting what they depend on."""

    def __init__(self) -> None:
        self.functions: dict[str, str] = {}
        self.constants: dict[str, Any] = {}
        self.modules: set[str] = set()
        self.namespace: dict | None = None  # the chapter's globals, from the first own function
        self._seen: set = set()  # ids of values and ("class", id) of classes visited

    def visit_callable(self, value) -> None:
        if id(value) in self._seen:
            return
        self._seen.add(id(value))
        wrapped = getattr(value, "__wrapped__", None)
        if callable(wrapped):  # @torch.no_grad(), functools.cache, functools.wraps
            self.visit_callable(wrapped)
        if isinstance(value, functools.partial):
            self.visit_callable(value.func)
            for i, argument in enumerate(value.args):
                self.visit_global(f"<partial arg {i}>", argument)
            for name, argument in value.keywords.items():
                self.visit_global(f"<partial {name}=>", argument)
        elif isinstance(value, types.MethodType):
            self.visit_callable(value.__func__)
        elif isinstance(value, types.FunctionType):
            self.visit_function(value)
        elif isinstance(value, type):
            self.visit_class(value)
        elif callable(value) and not isinstance(value, types.BuiltinFunctionType):
            self.visit_class(type(value))

    def visit_function(self, func: types.FunctionType) -> None:
        if _module_of(func) is not None:
            self.modules.add(_module_of(func))
            return
        if not self._is_own(func.__globals__, func.__code__.co_filename):
            return
        node = _function_node(func)
        if node is None:  # no source (exec of a string): the bytecode, stable within a Python
            self._add_function(func, _code_description(func.__code__))
            global_names = _global_names(func.__code__)
            attributes: dict[str, set[str]] = {}
        else:
            self._add_function(func, canonical_dump(node))
            global_names = _global_names(func.__code__) & _loaded_names(node)
            attributes = _attributes_read(node)
            self.modules |= _imported_modules(node)
        for name, cell in zip(func.__code__.co_freevars, func.__closure__ or ()):
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            self.visit_global(f"{_name(func)}:{name}", value, attributes.get(name, set()))
        for i, default in enumerate(func.__defaults__ or ()):
            self.visit_global(f"{_name(func)}:default {i}", default)
        for name, default in (func.__kwdefaults__ or {}).items():
            self.visit_global(f"{_name(func)}:{name}=", default)
        for name in sorted(global_names):
            if name in func.__globals__:
                self.visit_global(name, func.__globals__[name], attributes.get(name, set()))

    def _add_function(self, func, source: str) -> None:
        """Record a function's canonical source under its qualified name (``#2``, ``#3`` for
        further functions of the same name, in the order they are reached)."""
        name, n = func.__qualname__, 1
        while name in self.functions:
            n += 1
            name = f"{func.__qualname__}#{n}"
        self.functions[name] = _sha(source)

    def _add_constant(self, name: str, value) -> None:
        """Record a constant under ``name`` (``#2``, ``#3`` for another value reached under the
        same name: two closures of one factory, two partials), in the order they are reached."""
        label, n = name, 1
        while label in self.constants and self.constants[label] != value:
            n += 1
            label = f"{name}#{n}"
        self.constants[label] = value

    def visit_class(self, cls: type) -> None:
        """A class of the chapter and its chapter base classes: their methods (properties'
        included) and class attributes (as globals); an infolib class as its module."""
        if ("class", id(cls)) in self._seen:  # an enum's members are its class attributes
            return
        self._seen.add(("class", id(cls)))
        for klass in cls.__mro__:
            if _module_of(klass) is not None:
                self.modules.add(_module_of(klass))
                continue
            module = sys.modules.get(klass.__module__)
            path = getattr(module, "__file__", None) or ""
            if module is None or klass is object or not self._is_own(vars(module), path):
                continue
            fields = ({f.name for f in dataclasses.fields(klass)}
                      if dataclasses.is_dataclass(klass) else set())  # an instance's own values
            for name, member in vars(klass).items():
                if name in fields:
                    continue
                if isinstance(member, (staticmethod, classmethod)):
                    member = member.__func__
                if isinstance(member, property):
                    for accessor in (member.fget, member.fset, member.fdel):
                        if isinstance(accessor, types.FunctionType):
                            self.visit_function(accessor)
                elif isinstance(member, types.FunctionType):
                    if not member.__code__.co_filename.startswith("<"):  # not made by exec:
                        self.visit_function(member)  # (a dataclass's __eq__: its fields count)
                elif not name.startswith("__"):  # as a global of that name would count
                    self.visit_global(f"{klass.__qualname__}.{name}", member)

    def visit_global(self, name: str, value, attributes: frozenset[str] = frozenset()) -> None:
        """A value the unit reads (a global, closure cell, default or partial argument) that it
        uses as ``name.attribute`` for each of ``attributes`` (none: used whole)."""
        if _is_settings(value):
            knobs = {"profile": value.profile, **value.as_dict()}
            whole = not attributes or not attributes <= set(knobs)  # f(settings), as_dict()
            for knob in knobs if whole else attributes:
                self._add_constant(f"{name}.{knob}", _plain(knobs[knob], f"{name}.{knob}"))
        elif isinstance(value, types.ModuleType):
            if value.__name__ == PACKAGE or value.__name__.startswith(PACKAGE + "."):
                self.modules.add(value.__name__)
                for attr in attributes:  # infolib.fisher.fisher_trace through the package
                    sub = getattr(value, attr, None)
                    module = sub.__name__ if isinstance(sub, types.ModuleType) else _module_of(sub)
                    if module is not None:
                        self.modules.add(module)
        elif _is_stand_in(value):  # a shard's stand-in for another shard's unit, whose value
            value._unnamed()  # (plain data, perhaps) a whole run's name may depend on: refused
        elif _is_plain(value):
            self._add_constant(name, _plain(value, name))
            if dataclasses.is_dataclass(value) or isinstance(value, enum.Enum):
                self.visit_class(type(value))  # its methods, or its infolib module
        elif _in_a_shard_run() and _is_plain(value, stand_ins=True):  # plain but for stand-ins:
            _first_stand_in(value)._unnamed()  # as plain, perhaps, in a whole run: names it
        elif callable(value):
            self.visit_callable(value)
        elif isinstance(value, (list, tuple, dict)):  # not plain: its functions are followed
            self.visit_functions_in(value)
        else:
            array = _small_array(value)
            if array is not None:
                self._add_constant(name, {"array": _array_digest(array)})
            else:  # an object: the code of its class (a chapter's or infolib's) counts
                self.visit_class(type(value))
        # anything else is data, described by the unit's key

    def visit_functions_in(self, container) -> None:
        """Follow the functions a list, tuple or dict holds (a dict of network builders), at any
        depth. Its other items are data, like the container: results of other units gathered in
        a dict (which a shard's run holds only in part) must not change the unit's entry."""
        if id(container) in self._seen:
            return
        self._seen.add(id(container))
        for item in container.values() if isinstance(container, dict) else container:
            if isinstance(item, (list, tuple, dict)):
                self.visit_functions_in(item)
            elif isinstance(item, _FUNCTIONS) or hasattr(item, "__wrapped__"):
                self.visit_callable(item)  # not callable objects: models, a shard's stand-ins

    def _is_own(self, namespace: dict, filename: str) -> bool:
        """Whether code in ``namespace`` belongs to the chapter: the namespace of the first
        function followed whose file is not part of an installed library or the standard one."""
        if self.namespace is None:
            if _in_library(filename):
                return False
            self.namespace = namespace
        return namespace is self.namespace


_FUNCTIONS = (types.FunctionType, types.MethodType, functools.partial, type)


def _in_a_shard_run() -> bool:
    """Whether a shard's run is executing a chapter (the only place stand-ins exist), so that a
    fingerprint outside one never walks a container twice looking for them."""
    shard = sys.modules.get(f"{PACKAGE}.shard")
    return shard is not None and shard._ACTIVE is not None


def _is_stand_in(value) -> bool:
    """A :class:`infolib.shard.StandIn` (callable, but the value of a unit, not code)."""
    return type(value).__name__ == "StandIn" and type(value).__module__ == f"{PACKAGE}.shard"


def _in_library(filename: str) -> bool:
    try:
        return str(Path(filename).resolve()).startswith(_LIBRARY_DIRS)
    except OSError:
        return False


def _module_of(value) -> str | None:
    """The infolib module that defines ``value``, or None."""
    module = getattr(value, "__module__", None)
    if isinstance(module, str) and (module == PACKAGE or module.startswith(PACKAGE + ".")):
        return module
    return None


def _is_settings(value) -> bool:
    from infolib.config import Settings  # late: config imports torch

    return isinstance(value, Settings)


def _name(func) -> str:
    return func.__qualname__


# --- canonical source -------------------------------------------------------------------------

def canonical_dump(node: ast.AST) -> str:
    """A syntax tree as text without positions, docstrings, comments or formatting; fields that
    are None or empty are left out so that the text does not depend on the Python version."""
    if isinstance(node, ast.AST):
        fields = []
        for name, value in ast.iter_fields(node):
            if name in ("ctx", "type_comment") or value is None or value == []:
                continue
            if name == "body" and isinstance(node, _DOCUMENTED) and _has_docstring(value):
                value = value[1:]
            fields.append(f"{name}={canonical_dump(value)}")
        return f"{type(node).__name__}({','.join(fields)})"
    if isinstance(node, list):
        return "[" + ",".join(canonical_dump(item) for item in node) + "]"
    return repr(node)


_DOCUMENTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)


def _has_docstring(body: list) -> bool:
    return (bool(body) and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str))


def _function_node(func: types.FunctionType) -> ast.AST | None:
    """The syntax tree of ``func`` (a def or a lambda), found in the file or notebook cell it was
    defined in; None when the source is not available. Two lambdas on one line with the same
    arguments both count (a safe over-approximation)."""
    code = func.__code__
    tree = _parse(code.co_filename)
    if tree is None:
        return None
    _check_running(code)
    candidates = []
    for node in ast.walk(tree):
        if code.co_name == "<lambda>" and isinstance(node, ast.Lambda):
            same_line = node.lineno == code.co_firstlineno
            if same_line and _argument_names(node) == _code_arguments(code):
                candidates.append(node)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            if node.name == code.co_name and first == code.co_firstlineno:
                candidates.append(node)
    if not candidates:
        return None
    return candidates[0] if len(candidates) == 1 else ast.Module(body=[ast.Expr(c) for c in
                                                                       candidates], type_ignores=[])


def _check_running(code: types.CodeType) -> None:
    """``RuntimeError`` when a function's file on disk no longer compiles to the code running
    (a chapter edited while ``python notebooks/x.py`` runs): its results would be stored under
    the edited code's fingerprint. The file is compiled whole, so that nested functions and
    closures compile as they did at import, and the function's code objects of the same
    qualified name are compared with the running one (instructions, names and constants; lines,
    comments and docstrings aside). Sources held in memory (notebook cells, the chapter text a
    shard pins) are what runs: not checked."""
    entry = linecache.cache.get(code.co_filename)
    if entry is None or entry[1] is None:  # not read from a file on disk
        return
    compiled = _compiled("".join(entry[2]), code.co_filename)
    if compiled is None:
        return
    namesakes = [c for c in _code_objects(compiled) if c.co_qualname == code.co_qualname]
    if not any(_same_code(c, code) for c in namesakes):
        raise RuntimeError(
            f"{code.co_filename} changed on disk after {code.co_name} was defined: the code "
            "running is not the code on disk, and its results would be cached under the edited "
            "code's fingerprint. Restart the process (the notebook's kernel) to run the edit")


@functools.lru_cache(maxsize=16)
def _compiled(text: str, filename: str) -> types.CodeType | None:
    try:
        return compile(text, filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return None


def _code_objects(code: types.CodeType):
    yield code
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from _code_objects(constant)


def _same_code(a: types.CodeType, b: types.CodeType) -> bool:
    """Whether two code objects run the same instructions on the same names and constants
    (line numbers aside, and a function's docstring, its first constant)."""
    if (a.co_code, a.co_names, a.co_varnames, a.co_freevars, a.co_cellvars) != (
            b.co_code, b.co_names, b.co_varnames, b.co_freevars, b.co_cellvars):
        return False
    if len(a.co_consts) != len(b.co_consts):
        return False
    first = 0
    if a.co_name != "<lambda>" and a.co_consts and all(
            isinstance(c.co_consts[0], (str, type(None))) for c in (a, b)):
        first = 1  # the docstring slot: None or the docstring
    for x, y in zip(a.co_consts[first:], b.co_consts[first:]):
        if isinstance(x, types.CodeType) and isinstance(y, types.CodeType):
            if not _same_code(x, y):
                return False
        elif type(x) is not type(y) or repr(x) != repr(y):
            return False
    return True


def _parse(filename: str) -> ast.AST | None:
    lines = linecache.getlines(filename)
    if not lines:
        return None
    return _parse_text("".join(lines))


@functools.lru_cache(maxsize=64)
def _parse_text(text: str) -> ast.AST | None:
    try:
        return ast.parse(text)
    except SyntaxError:
        return None


def _argument_names(node: ast.Lambda) -> tuple[str, ...]:
    args = node.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    names = [a.arg for a in every]
    if args.vararg:
        names.append(args.vararg.arg)
    if args.kwarg:
        names.append(args.kwarg.arg)
    return tuple(names)


def _code_arguments(code: types.CodeType) -> tuple[str, ...]:
    count = code.co_argcount + code.co_kwonlyargcount
    count += bool(code.co_flags & inspect.CO_VARARGS) + bool(code.co_flags & inspect.CO_VARKEYWORDS)
    return tuple(code.co_varnames[:count])


def _loaded_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _attributes_read(node: ast.AST) -> dict[str, set[str]]:
    """{name: attributes read as ``name.attribute``} for every plain name in the tree, and an empty
    set for a name also used whole (``f(settings)``)."""
    attributes: dict[str, set[str]] = {}
    whole: set[str] = set()
    parents = {id(child): parent
               for parent in ast.walk(node) for child in ast.iter_child_nodes(parent)}
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            parent = parents.get(id(n))
            if isinstance(parent, ast.Attribute) and parent.value is n:
                attributes.setdefault(n.id, set()).add(parent.attr)
            else:
                whole.add(n.id)
    for name in whole:
        attributes[name] = set()
    return attributes


def _global_names(code: types.CodeType) -> set[str]:
    """Names the code (and the code nested in it) looks up outside its own locals."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _code_description(code: types.CodeType) -> str:
    consts = [_code_description(c) if isinstance(c, types.CodeType) else repr(c)
              for c in code.co_consts]
    return repr((code.co_code.hex(), code.co_names, code.co_varnames, consts))


# --- plain constants --------------------------------------------------------------------------

def _is_plain(value, depth: int = 0, stand_ins: bool = False) -> bool:
    """Numbers, str, bool, None, ranges, enum members with plain values, and lists, tuples,
    sets, dicts and dataclass instances of them; with ``stand_ins``, a shard's stand-ins too."""
    if stand_ins and _is_stand_in(value):
        return True
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return depth <= 20 and all(_is_plain(getattr(value, f.name), depth + 1, stand_ins)
                                   for f in dataclasses.fields(value))
    if is_json_scalar(value) and not isinstance(value, enum.Enum):
        return True
    if depth > 20:
        return False
    if isinstance(value, range):
        return True
    if isinstance(value, enum.Enum):
        return _is_plain(value.value, depth + 1, stand_ins)
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(_is_plain(item, depth + 1, stand_ins) for item in value)
    if isinstance(value, dict):
        return all(_is_plain(k, depth + 1, stand_ins) and _is_plain(v, depth + 1, stand_ins)
                   for k, v in value.items())
    return False


def _first_stand_in(value, depth: int = 0):
    """The first stand-in inside a value that :func:`_is_plain` with ``stand_ins`` accepts."""
    if _is_stand_in(value):
        return value
    if depth > 20:
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        items = [getattr(value, f.name) for f in dataclasses.fields(value)]
    elif isinstance(value, enum.Enum):
        items = [value.value]
    elif isinstance(value, dict):
        items = [item for pair in value.items() for item in pair]
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
    else:
        items = []
    return next((found for item in items
                 if (found := _first_stand_in(item, depth + 1)) is not None), None)


def is_json_scalar(value) -> bool:
    """None, str, bool or a real number (numpy scalars included)."""
    return value is None or isinstance(value, (str, bool, np.bool_, numbers.Real))


def json_scalar(value) -> Any:
    """A scalar for which :func:`is_json_scalar` holds as a JSON value: numpy bools and numbers
    become Python ones (``np.int64(3)`` -> 3, ``np.float32(0.5)`` -> 0.5)."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    return int(value) if isinstance(value, numbers.Integral) else float(value)


def _plain(value, where: str) -> Any:
    """A plain constant as JSON (tuples as lists, dicts as sorted [key, value] pairs, a dataclass
    instance as its class name and fields)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _plain(getattr(value, f.name), where) for f in dataclasses.fields(value)}
        return {"dataclass": type(value).__qualname__, "fields": fields}
    if isinstance(value, enum.Enum):
        return {"enum": type(value).__qualname__, "name": value.name,
                "value": _plain(value.value, where)}
    if is_json_scalar(value):
        return json_scalar(value)
    if isinstance(value, range):
        return {"range": [value.start, value.stop, value.step]}
    if isinstance(value, (set, frozenset)):
        items = [_plain(item, where) for item in value]
        return {"set": sorted(items, key=lambda item: json.dumps(item, sort_keys=True))}
    if isinstance(value, (list, tuple)):
        return [_plain(item, where) for item in value]
    if isinstance(value, dict):
        pairs = [[_plain(k, where), _plain(v, where)] for k, v in value.items()]
        return {"dict": sorted(pairs, key=lambda pair: json.dumps(pair[0], sort_keys=True))}
    raise TypeError(f"{where} is a {type(value).__name__}, not a plain constant")


def _small_array(value) -> np.ndarray | None:
    """``value`` as a numpy array when it is a numpy array or torch tensor of numbers of at most
    :data:`ARRAY_DIGEST_BYTES`; else None (data the key describes)."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        if value.numel() * value.element_size() > ARRAY_DIGEST_BYTES:
            return None
        try:
            value = value.detach().cpu()
            if value.is_floating_point() and value.dtype not in (torch.float16, torch.float32,
                                                                 torch.float64):
                value = value.float()  # bfloat16 and others numpy has no dtype for
            value = value.resolve_conj().resolve_neg().numpy()
        except (RuntimeError, TypeError):  # sparse, quantized, meta: data the key describes
            return None
    if not isinstance(value, np.ndarray) or value.nbytes > ARRAY_DIGEST_BYTES:
        return None
    return value if value.dtype.kind in "biufc" else None


_DROPPED_BITS = {2: (np.uint16, 4), 4: (np.uint32, 8), 8: (np.uint64, 16)}  # of the mantissa


def data_digest(*arrays) -> str:
    """sha256 (hex, 16 characters) of numpy arrays or torch tensors, exactly (dtype, shape and
    every byte): for a unit's key, the data it reads that is too large for its fingerprint
    (over :data:`ARRAY_DIGEST_BYTES` at some profile), so that an edit of how the data are
    prepared (a chapter's top-level lines, ``infolib.data``) gives new entries at every profile."""
    hasher = hashlib.sha256()
    torch = sys.modules.get("torch")
    for value in arrays:
        if torch is not None and isinstance(value, torch.Tensor):
            value = value.detach().cpu().contiguous().numpy()
        if not isinstance(value, np.ndarray):
            raise TypeError(f"data_digest takes numpy arrays or torch tensors, got "
                            f"{type(value).__name__}")
        hasher.update(f"{value.dtype.str} {value.shape}".encode())
        hasher.update(np.ascontiguousarray(value).tobytes())
    return hasher.hexdigest()[:16]


def _array_digest(array: np.ndarray) -> list:
    """[dtype, shape, sha256 of the values] with the last bits of every float's mantissa set to
    zero (4 of float16's 10, 8 of float32's 23, 16 of float64's 52): a value computed on another
    machine that differs in its last bits has the same digest (unless the difference crosses one
    of the 2**16 steps, or a power of two: then the unit is computed again, nothing is wrong); a
    changed value has another."""
    values = np.ascontiguousarray(array)
    if values.dtype.kind == "c":
        values = values.view(values.real.dtype)
    if values.dtype.kind == "f" and values.dtype.itemsize in _DROPPED_BITS:
        unsigned, bits = _DROPPED_BITS[values.dtype.itemsize]
        values = values.view(unsigned) & ~unsigned((1 << bits) - 1)
    return [str(array.dtype), list(array.shape), hashlib.sha256(values.tobytes()).hexdigest()]


def _checked_version(value) -> Any:
    """The ``version=`` of a unit as JSON, or a TypeError."""
    if not _is_plain(value):
        raise TypeError(
            "version must be a str, number, bool, None, or lists/tuples/dicts of them, "
            f"got {type(value).__name__}"
        )
    return _plain(value, "version")


# --- infolib modules --------------------------------------------------------------------------

def _closure(modules: set[str]) -> set[str]:
    """The modules and the infolib modules they import, transitively."""
    todo, done = [m for m in modules if m != PACKAGE], set()
    while todo:
        module = todo.pop()
        if module in done or _module_file(module) is None:
            continue
        done.add(module)
        todo.extend(_imports(module))
    return done


def _module_file(module: str) -> Path | None:
    if module == PACKAGE:
        return None
    path = _PACKAGE_DIR.joinpath(*module.split(".")[1:]).with_suffix(".py")
    return path if path.is_file() else None


def _imports(module: str) -> frozenset[str]:
    """The infolib modules that ``module``'s source imports."""
    return _module_source(module)[1]


def _imported_modules(tree: ast.AST) -> set[str]:
    """The infolib modules that the import statements in ``tree`` name."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith(PACKAGE + ".")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # from .x import y / from . import x
                base = ".".join([PACKAGE, base]).rstrip(".")
            if base == PACKAGE:
                found |= {f"{PACKAGE}.{a.name}" for a in node.names}
            elif base.startswith(PACKAGE + "."):
                found.add(base)
    return {m for m in found if _module_file(m) is not None}


def module_digest(module: str) -> str:
    """sha256 of an infolib module's canonical source (docstrings and comments left out).
    ``RuntimeError`` when the file changed since this process imported infolib: results of the
    code running would be stored under the edited code's fingerprint."""
    return _module_source(module)[0]


def _module_source(module: str) -> tuple[str, frozenset[str]]:
    """(digest, infolib imports) of a module, parsed once per version of its file: every cached
    unit asks for them, so they must not cost a parse each time."""
    path = _module_file(module)
    stat = path.stat()
    now = (stat.st_mtime_ns, stat.st_size)
    if FILES_AT_IMPORT.setdefault(module, now) != now:  # a file new since: read as it is now
        raise RuntimeError(
            f"{path} changed on disk after this process imported infolib: the code running is "
            "not the code on disk, and its results would be cached under the new code's "
            "fingerprint. Restart the process (the notebook's kernel) to run the edited code"
        )
    return _parsed_module(module, *now)


@functools.lru_cache(maxsize=128)
def _parsed_module(module: str, mtime_ns: int, size: int) -> tuple[str, frozenset[str]]:
    tree = ast.parse(_module_file(module).read_text())
    return _sha(canonical_dump(tree)), frozenset(_imported_modules(tree))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
