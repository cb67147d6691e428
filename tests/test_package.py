"""Packaging promises: compiled extensions are real, and importing evcore compiles nothing."""

import importlib.machinery
import subprocess
import sys
import textwrap

import evcore
from evcore.queueing import _erlang, _native


def test_extensions_are_compiled_modules():
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    assert _erlang.__file__.endswith(suffixes), _erlang.__file__  # Cython
    assert _native.__file__.endswith(suffixes), _native.__file__  # C++ / pybind11


def test_public_queueing_functions_use_the_compiled_kernels():
    from evcore.queueing import _erlang_api, _loss

    assert _erlang_api._native_erlang is _erlang
    assert _loss._native is _native


def test_version_is_a_string():
    assert isinstance(evcore.__version__, str) and evcore.__version__.count(".") == 2


def test_import_compiles_nothing():
    """`import evcore` and the ahead-of-time queueing paths never load or run the JIT."""
    code = textwrap.dedent(
        """
        import sys
        import evcore
        assert "numba" not in sys.modules, "import evcore loaded numba"
        from evcore.queueing import erlang_c, mmc, loss_transient
        erlang_c(5, 3.0); mmc(5, 3.0, 1.0); loss_transient(5, 3.0, 1.0, [1.0])
        assert "numba" not in sys.modules, "steady-state/loss paths loaded numba"
        from evcore.queueing import _kernels
        from numba.core.registry import CPUDispatcher
        dispatchers = [f for f in vars(_kernels).values() if isinstance(f, CPUDispatcher)]
        assert dispatchers and all(not f.signatures for f in dispatchers), "kernels compiled at import"
        assert all(f._cache.__class__.__name__ == "FunctionCache" for f in dispatchers), "cache=True missing"
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
