"""The checks on a case and a folder: the rules, the evidence, the audit, the seal, the template."""
