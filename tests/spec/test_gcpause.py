"""Reading and validating pause the cyclic garbage collector, and leave it as they found it."""
import gc

import pytest

from flowstudio.spec.gcpause import gc_paused
from flowstudio.spec.validate import validate_data
from flowstudio.spec.yamlio import load_yaml


def test_the_collector_is_off_inside_and_back_on_after_even_on_error():
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        with gc_paused():
            assert not gc.isenabled()
            raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        with gc_paused():
            pass
        load_yaml("a: 1\n")
        validate_data({"spec_version": 1, "name": "x", "widgets": []})
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_reading_and_validating_leave_it_on():
    load_yaml("a: [1, 2]\n")
    validate_data({"spec_version": 1, "name": "x", "widgets": []})
    assert gc.isenabled()
