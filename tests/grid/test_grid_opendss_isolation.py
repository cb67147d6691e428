"""OpenDSS's C library can abort the process on a malformed file; the reader compiles in a child, so the
user gets an InputError and the interpreter lives on."""

import os

import pytest

from evcore.errors import InputError
from evcore.io import opendss


def _abort(path):
    os.abort()


def _raise(path):
    raise InputError(path, "refused in the child")


def test_a_crash_in_the_child_is_an_input_error_naming_the_signal():
    with pytest.raises(InputError, match="SIGABRT"):
        opendss._isolated(_abort, "feeder.dss")


def test_errors_and_results_come_back_from_the_child():
    with pytest.raises(InputError, match="refused in the child"):
        opendss._isolated(_raise, "feeder.dss")
    assert opendss._isolated(len, "abc") == 3


def test_a_file_that_once_aborted_the_process_is_an_input_error(tmp_path):
    pytest.importorskip("dss", reason="OpenDSS engine (dss-python) not installed")
    from evcore.grid import Feeder

    path = tmp_path / "typo.dss"
    path.write_text("clear\nnew circuit.t basekv=12.47 pu=1.0 phases=3 bus1=src\n"
                    "new linecode.lc nphases=3 r1=0.3 x1=0.6 r0=0.6 x0=1.2 units=km\n"
                    "new line.l1 bus1=src bus2=b1 linecode=lc lengtnand.ld1 bus1=b1 phases=3 kv=12.47 kw=500\n")
    for _ in range(3):
        with pytest.raises(InputError):
            Feeder.from_opendss(path)
