"""Copies for publication: personal data masked before anything is rendered.

Masked: 户号 (first 4 and last 2 digits kept), phone numbers (first 3 and last 4 digits kept),
the house number (门牌, the last part of the address; also where a photo caption, a mark, the
customer's words or the project description repeat it), the two managers' names. The document's
metadata (author, last modified by) is cleared by the renderer.
"""

from __future__ import annotations

import re

from casegen.case.model import Case

MASK = "*"


def mask_account(account: str) -> str:
    keep_head, keep_tail = (4, 2) if len(account) >= 8 else (2, 1)
    hidden = len(account) - keep_head - keep_tail
    return account[:keep_head] + MASK * max(hidden, 1) + account[len(account) - keep_tail:]


def mask_phone(phone: str) -> str:
    """Keep the first 3 and the last 4 digits; separators stay where they were."""
    digits = [i for i, ch in enumerate(phone) if ch.isdigit()]
    hidden = set(digits[3:-4]) if len(digits) > 7 else set(digits[1:-2])
    return "".join(MASK if i in hidden else ch for i, ch in enumerate(phone))


def drop_house_number(address: str) -> str:
    parts = [p for p in re.split(r"-", address) if p.strip()]
    if len(parts) >= 3:
        return "-".join(parts[:-1])
    return re.sub(r"\d+[号栋幢].*$", "", address) or address


def redact(case: Case) -> Case:
    customer = case.customer.model_copy(update={
        "account_no": mask_account(case.customer.account_no),
        "phone": mask_phone(case.customer.phone) if case.customer.phone else None,
        "address": drop_house_number(case.customer.address),
    })
    unit = case.unit.model_copy(update={"customer_manager": None, "project_manager": None})
    redacted = case.model_copy(update={"customer": customer, "unit": unit})
    house = house_number(case.customer.address)
    if not house:
        return redacted
    # the house number also where staff wrote it in words: captions, marks, the customer's words
    pattern = re.compile(rf"(?<![0-9]){re.escape(house)}")

    def hide(text: str | None) -> str | None:
        return pattern.sub(MASK * len(house), text) if text else text

    photos = [p.model_copy(update={"caption": hide(p.caption),
                                   "marks": [m.model_copy(update={"label": hide(m.label)}) for m in p.marks]})
              for p in case.evidence.photos]
    feedback = case.feedback.model_copy(update={k: hide(getattr(case.feedback, k))
                                                for k in ("steps", "time", "cost")})
    project = case.project.model_copy(update={"description": hide(case.project.description)})
    return redacted.model_copy(update={"evidence": case.evidence.model_copy(update={"photos": photos}),
                                       "feedback": feedback, "project": project})


def house_number(address: str) -> str:
    """The part of the address `drop_house_number` removes ("168号"), or empty."""
    kept = drop_house_number(address)
    removed = address[len(kept):].lstrip("-").strip() if address.startswith(kept) else ""
    return removed if re.search(r"\d", removed) else ""
