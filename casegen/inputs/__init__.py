"""Readers: what someone else made, read into casegen's values with the place of every problem: a
hand-made 附件3 (handmade), a filled 附件2 (ledger), a filled call sheet (callsheet), a team file or a
附件1 roster (roster). Nothing here writes a file."""
