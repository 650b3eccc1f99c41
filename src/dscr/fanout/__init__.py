"""Fan the DVC pipeline out over a Ray cluster (`dscr launch`), with DVC staying the source of truth.

    plan.py        the train and evaluate stages a report needs, in dependency order, with their resources
    workspace.py   one stage in its own clone at the driver's commit: inputs from the DVC remote's run cache,
                   outputs and run-cache entry pushed back
    driver.py      Ray tasks in dependency order, retries when a node dies, live progress, the final
                   `dvc repro` that restores every finished stage and writes the report

A run killed with its node resumes on another node from its last checkpoint, because runs train in
`DSCR_RESUME_DIR`, which the launch points at a folder every node reads (see `dscr.cli.pipeline`).
"""
