"""`casegen rules`: every rule, what it stops and the clause it applies."""

from __future__ import annotations

import argparse

from casegen.base.policy import NOTICE
from casegen.cli.common import EXIT_OK
from casegen.service.authoring import rules


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    for rule in rules():
        print(f"{rule.id:<22} {rule.cls.value}  {rule.severity.label}  {rule.title}")
        print(f"{'':<22} 阻止：{rule.stops_text}")
        basis = f"{NOTICE} {rule.clause}" if rule.clause.words else str(rule.clause)
        print(f"{'':<22} 依据：{basis}")
    return EXIT_OK
