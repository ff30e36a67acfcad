"""Evidence as an auditor checks it: `casegen check`, and one case's audit for the workbench and the report."""

from __future__ import annotations

import os
from concurrent import futures  # its process pool is imported when first asked for (a package __getattr__)
from dataclasses import dataclass
from pathlib import Path

from casegen.base.errors import Finding, os_reason
from casegen.base.policy import Product, gate
from casegen.case.reading import CaseFile
from casegen.checks.audit import callback_findings, duplicate_findings, exhibits, photo_time_findings
from casegen.checks.evidence import checklist, evidence_findings, required_items
from casegen.checks.files import IMAGE_SUFFIXES, PhotoCache, photo_facts_job, resolve_inside
from casegen.checks.history import history_findings
from casegen.checks.seal import INTACT, SEALED, Digests, other_case_files, verify, write_seal
from casegen.service.cases import gather, open_calendar


def check_evidence(case_file: CaseFile, photos=None, *, sketch_file: str | None = None):
    """The checklist of one case and its gaps as findings (with `photos`, a `files.PhotoCache`,
    the photos' shooting times and hashes too; `sketch_file`: the name render gave the sketch)."""
    items = checklist(case_file.case, case_file.path.parent, has_works=case_file.facts.has_works,
                      photos=photos, sketch_file=sketch_file)
    return items, evidence_findings(items, case_file)


def audit_case(case_file: CaseFile, photos, *, sketch_file: str | None = None):
    """One case's evidence as `check` judges it on its own: the checklist's gaps, the photos'
    shooting times against the timeline and the callback (`photos`: a `files.PhotoCache`).
    The seal and the cross-case checks are the caller's: they need the folder."""
    items, findings = check_evidence(case_file, photos, sketch_file=sketch_file)
    return items, (findings + photo_time_findings(case_file, items) + callback_findings(case_file)
                   + history_findings(case_file.path))


@dataclass
class Checked:
    """One case's evidence as an auditor sees it: the checklist, every 实证材料 finding (gaps,
    photo times, duplicates, callback, seal) and the state of its seal."""

    case_file: CaseFile
    items: list
    findings: list[Finding]
    seal: object  # seal.SealState

    @property
    def complete(self) -> bool:
        return not gate(self.findings, Product.CHECK)


def check_cases(case_files: list[CaseFile], *, seal: bool = False, force: bool = False) -> list[Checked]:
    """`casegen check`: the evidence of every typed case, cross-checked across all of them; with
    `seal`, each complete case folder sealed (a case with findings only under `force`)."""
    photos, digests = PhotoCache.open(), Digests()
    warm_photos(photos, case_files)
    checked, found = [], []
    for case_file in case_files:
        items, findings = audit_case(case_file, photos)
        state = verify(case_file, digests)
        findings += state.findings
        found += exhibits(case_file, items, digests)
        checked.append(Checked(case_file, items, findings, state))
    photos.save()
    duplicates = duplicate_findings(found)
    for one in checked:
        one.findings += duplicates.get(one.case_file.path, [])
    if seal:
        for one in checked:
            _seal(one, digests, force=force)
    return checked


WARM_MIN = 32  # fewer photos than this decode faster than worker processes start


def warm_photos(photos, case_files: list[CaseFile], workers: int | None = None) -> None:
    """Decode the images the cache does not know yet on every core: the check that follows
    then finds them all in the cache (the decoding is most of a first check's time)."""
    workers = workers or os.cpu_count() or 1
    todo = set()
    for case_file in case_files:
        for *_, file in required_items(case_file.case, case_file.facts.has_works):
            if file is None or Path(file).suffix.lower() not in IMAGE_SUFFIXES:
                continue
            real = resolve_inside(case_file.path.parent, file)
            try:
                if isinstance(real, Path) and not photos.lookup(real, real.stat()):
                    todo.add(real)
            except OSError:
                continue  # the check itself says what is wrong with it
    if workers < 2 or len(todo) < WARM_MIN:
        return
    with futures.ProcessPoolExecutor(min(workers, len(todo) // WARM_MIN + 1)) as pool:
        for real, status, facts in pool.map(photo_facts_job, sorted(todo), chunksize=16):
            if facts is not None:
                photos.store(real, status, facts)


def _seal(checked: Checked, digests, *, force: bool) -> None:
    state = checked.seal
    others = other_case_files(checked.case_file.path)
    if others:
        state.refused = f"文件夹中还有其他案例文件（{'、'.join(others)}）：一个案例一个文件夹才能封存"
    elif not checked.complete and not force:
        problems = len(gate(checked.findings, Product.CHECK))
        state.refused = f"实证材料有 {problems} 项问题，未封存（核对无误后可加 --force 封存）"
    elif state.status == INTACT:
        return  # sealed before and unchanged: the first seal's time stands
    else:
        try:
            state.written = write_seal(checked.case_file.path, digests)
            state.status = SEALED
        except OSError as e:
            state.refused = f"封存清单写入失败（{os_reason(e) if e.errno else e}）"


@dataclass
class Audit:
    """`casegen check` over a folder: each typed case's evidence as checked, and the findings
    of the files that could not be read as cases."""

    results: list[Checked]
    unreadable: dict[Path, list[Finding]]

    @property
    def complete(self) -> bool:
        return not self.unreadable and all(one.complete for one in self.results)

    @property
    def refused_seals(self) -> list[Checked]:
        return [one for one in self.results if one.seal.refused]


def check(paths: list[Path], *, calendar_file: Path | None = None, seal: bool = False,
          force: bool = False) -> Audit:
    """`casegen check`: the evidence of every case under `paths`, cross-checked; with `seal`,
    each complete case folder sealed (with `force`, the others too)."""
    run = gather(paths, open_calendar(paths, calendar_file), across=False)
    results = check_cases(run.typed, seal=seal, force=force)
    unreadable = {c.path: [f for f in c.findings if f.is_error] for c in run.cases if c.case is None}
    return Audit(results, unreadable)
