"""Schema objects the migrations make by hand and the models do not describe, so autogenerate and the
models-match-migrations test leave them alone."""

# SQLite's FTS5 table of the Japanese search and its shadow tables; PostgreSQL's GIN expression index.
HAND_MADE_PREFIXES = ("submission_search_fts",)
HAND_MADE_INDEXES = frozenset({"ix_submission_search_terms"})


def include_name(name, type_, parent_names) -> bool:
    """Alembic's include_name hook: skip what the migrations made by hand."""
    if type_ == "table" and name and name.startswith(HAND_MADE_PREFIXES):
        return False
    return not (type_ == "index" and name in HAND_MADE_INDEXES)
