"""What casegen writes: the document, the sketch, photos, workbooks, the report page, listings."""
