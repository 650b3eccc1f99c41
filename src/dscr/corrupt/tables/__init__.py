"""Per-suite, per-severity constants, one module per published source. Each module exposes ``SOURCE``
(repository and file the numbers were read from) and ``TABLE`` (corruption -> one kwargs dict per severity,
in the keyword names of the functions in ``dscr.corrupt``)."""


def per_severity(**columns) -> list[dict]:
    """Turn columns of 5 values into 5 kwargs dicts: per_severity(a=(1, 2), b=(3, 4)) -> [{a:1,b:3}, {a:2,b:4}]."""
    lengths = {len(v) for v in columns.values()}
    assert len(lengths) == 1, "every column needs one value per severity"
    return [dict(zip(columns, row)) for row in zip(*columns.values())]


def rows(names: tuple[str, ...], values: list[tuple]) -> list[dict]:
    """Turn the reference's per-severity tuples into kwargs dicts named by ``names``."""
    return [dict(zip(names, row)) for row in values]
