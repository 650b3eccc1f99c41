#!/usr/bin/env bash
# Run images/README.md's pipeline command (the block after the `test-images: run command` marker) twice, on the
# CPU, with PROFILE=smoke: the first run must execute stages and write the Table 2 report into the reports
# folder; the second, in a fresh container on the same folders, must execute no stage (but those dvc.yaml marks
# `always_changed`, which DVC runs every time by design). Called by
# images/test_images.sh. The command runs as written except for what a CPU test of a local build needs: no
# `--gpus all`, the image under test instead of dscr/classification, DATASETS set to the CIFAR-10 mirror.
#
# Usage: images/test_pipeline_run.sh IMAGE MIRROR   (work folder: build/test-images/pipeline, emptied first)
#        images/test_pipeline_run.sh --print-command (the block as images/README.md has it; tests/test_images.py)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK="build/test-images/pipeline"

command_block() {
  # The first ```bash block after the marker line, without its fences.
  awk '/<!-- test-images: run command/ { found = 1; next }
       found && /^```bash/ { inside = 1; next }
       inside && /^```/ { exit }
       inside { print }' images/README.md
}

block="$(command_block)"
if ! grep -q 'docker run' <<<"$block"; then
  echo "pipeline: no run command after the 'test-images: run command' marker in images/README.md" >&2
  exit 1
fi
if [ "${1:-}" = --print-command ]; then
  echo "$block"
  exit 0
fi
IMAGE="$1"
MIRROR="$2"
block="$(sed -e 's/--gpus all //' -e "s#dscr/classification #$IMAGE #" <<<"$block")"
echo "== the run command (images/README.md), as run here:"
echo "$block"

# The container's user is uid 1000 (images/README.md): the folders the command mounts must be its to write.
rm -rf "$WORK"
mkdir -p "$WORK"/{data,runs,reports,dvc-cache,state}
chown -R 1000:1000 "$WORK"

run() {
  (cd "$WORK" && PROFILE=smoke DATASETS="$MIRROR" bash -euo pipefail -c "$block")
}
stages_run() { grep -o "Running stage '[^']*'" "$1" | sed "s/^Running stage '//; s/'$//" | sort -u || true; }
# The stages of the image's dvc.yaml that DVC runs every time (`always_changed: true`), one name a line.
always_changed() {
  docker run --rm "$IMAGE" python -c 'import yaml
stages = yaml.safe_load(open("dvc.yaml"))["stages"]
print("\n".join(name for name, stage in stages.items() if stage.get("always_changed")))'
}

t0=$SECONDS
run > >(tee "$WORK/../pipeline-run1.log") 2>&1
first_s=$((SECONDS - t0))
first="$(stages_run "$WORK/../pipeline-run1.log")"
if [ -z "$first" ] || [ ! -s "$WORK/reports/smoke/table2.md" ]; then
  echo "pipeline: the first run executed no stage or wrote no reports/smoke/table2.md" >&2
  exit 1
fi

t0=$SECONDS
run > >(tee "$WORK/../pipeline-run2.log") 2>&1
second_s=$((SECONDS - t0))
always="$(always_changed)"
second="" rerun_by_design=""
while read -r stage; do
  [ -n "$stage" ] || continue
  if grep -qx "${stage%%@*}" <<<"$always"; then rerun_by_design+="$stage "; else second+="$stage"$'\n'; fi
done < <(stages_run "$WORK/../pipeline-run2.log")
echo "== first run: $(wc -l <<<"$first") stages executed in ${first_s} s; second run: ${second_s} s"
if [ -n "$rerun_by_design" ]; then
  echo "pipeline: the second run executed only stages marked always_changed: $rerun_by_design"
fi
if [ -n "$second" ]; then
  echo "pipeline: the second run executed stages again:" >&2
  echo -n "$second" >&2
  exit 1
fi
log2="$WORK/../pipeline-run2.log"
echo "pipeline: the second run executed no stage ($(grep -c "didn't change, skipping" "$log2" || true) unchanged," \
  "$(grep -c "is cached - skipping run" "$log2" || true) restored from the run cache)"
