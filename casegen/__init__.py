"""casegen: YAML case files to 低压小微企业典型案例 (附件3) documents, sketches, checks and ledgers."""

__version__ = "0.1.0"
