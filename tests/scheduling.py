"""How pytest-xdist shares the tests between its workers.

A project-tier combination is installed once (a module-scoped fixture), then linted, tested
and built; each of its tests on another worker would install it again. The scheduler below
gives each combination's project-tier tests to one worker as a unit and every other test
out one at a time. Units go out largest first (xdist's reordering), so the long
combinations start early and the quick tests fill the workers' gaps at the end.

(pytest-xdist's own `--dist=loadgroup` would do this with `xdist_group` marks, but it groups
by rewriting the nodeid, which pytest 9 no longer reads.)
"""

from __future__ import annotations

from pathlib import PurePosixPath

from xdist.scheduler import LoadScopeScheduling

PROJECT_TIER_MODULE = "test_generated_project.py"


class CombinationScheduling(LoadScopeScheduling):  # type: ignore[misc]  # untyped base
    def _split_scope(self, nodeid: str) -> str:
        module, _, test = nodeid.partition("::")
        # Node ids are relative to the rootdir, which a run may set elsewhere.
        if PurePosixPath(module).name == PROJECT_TIER_MODULE and test.endswith("]"):
            return test[test.index("[") + 1 : -1]  # the combination's id
        return nodeid
