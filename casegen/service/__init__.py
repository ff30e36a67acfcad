"""One function per user action, for both faces; each returns values and prints nothing."""
