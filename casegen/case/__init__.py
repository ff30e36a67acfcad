"""The case: the file loaded with its lines, the typed model, the calendar, the derived facts."""
