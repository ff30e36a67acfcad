"""The public API's docstring is its example, and it runs."""

import doctest

from casegen import api


def test_the_public_api_example_runs(tmp_path, examples):
    result = doctest.testmod(api, extraglobs={"EXAMPLES": examples, "OUT": tmp_path / "out"},
                             optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 10 and result.failed == 0


def test_every_public_name_is_there():
    assert all(hasattr(api, name) for name in api.__all__)
