#!/usr/bin/env python3
"""Turn the stix2-matcher 3.0.0 test suite into data: one JSON case per call.

Usage: stix-matcher-cases.py SDIST_DIR OUTPUT.json

Runs the reference's own pytest suite (SDIST_DIR/stix2matcher/test) with the
reference matcher installed, and records every call the tests make to
`match()`: the pattern, the STIX version, the observations exactly as passed
(copied before the call, since the reference mutates its input when it merges
2.1 bundles), and what the reference answered. Only calls from tests that
passed are kept, so each recorded answer is one the reference's own assertions
accept. `crates/tallinn-stix/tests/it/conformance.rs` replays the cases
against our matcher. Nothing from the sdist is committed to this repository.
"""

import copy
import json
import sys

import pytest
import stix2matcher.matcher as reference
from stix2patterns.pattern import ParseException

real_match = reference.match


class Recorder:
    def __init__(self):
        self.cases = []
        self.pending = []

    def make_match(self):
        def recording_match(pattern, observed_data_sdos, verbose=False, stix_version="2.0"):
            observations = copy.deepcopy(observed_data_sdos)
            case = {"pattern": pattern, "stix_version": stix_version, "observations": observations}
            self.pending.append(case)
            try:
                sdos = real_match(pattern, observed_data_sdos, verbose, stix_version)
            except ParseException as e:
                case["expected"] = {"error": "parse", "message": str(e)}
                raise
            except reference.MatcherException as e:
                case["expected"] = {"error": "match", "message": str(e)}
                raise
            except Exception as e:
                case["expected"] = {"error": "crash", "message": f"{type(e).__name__}: {e}"}
                raise
            case["expected"] = {"matched": bool(sdos), "sdo_ids": [sdo_id(sdo, stix_version) for sdo in sdos]}
            return sdos

        return recording_match

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        self.pending = []
        module = item.module
        saved = getattr(module, "match", None)
        if saved is not None:
            module.match = self.make_match()
        try:
            yield
        finally:
            if saved is not None:
                module.match = saved

    def pytest_runtest_logreport(self, report):
        if report.when != "call":
            return
        for n, case in enumerate(self.pending):
            case["name"] = report.nodeid if len(self.pending) == 1 else f"{report.nodeid}#{n + 1}"
            case["reference_test_passed"] = report.passed
            self.cases.append(case)
        self.pending = []


def sdo_id(sdo, stix_version):
    # 2.1: the reference returns one synthetic bundle per observed-data,
    # whose first object is the observed-data itself.
    if stix_version == "2.1":
        return sdo["objects"][0].get("id")
    return sdo.get("id")


def main():
    sdist, output = sys.argv[1], sys.argv[2]
    recorder = Recorder()
    code = pytest.main(["-q", "-p", "no:cacheprovider", "--import-mode=importlib", f"{sdist}/stix2matcher/test"], plugins=[recorder])
    cases = [c for c in recorder.cases if c.pop("reference_test_passed")]
    with open(output, "w", encoding="utf-8") as f:
        json.dump(cases, f, ensure_ascii=False, indent=1)
    print(f"{len(cases)} reference cases written to {output} (pytest exit {code})")
    return 0 if cases else 1


if __name__ == "__main__":
    sys.exit(main())
