"""The web face: `casegen serve`'s application, views, templates and static files."""
