#!/usr/bin/env bash
# Smoke test of the video image, inside the container on the CPU: the video task's tests, and a PyAV round trip
# (encode and decode a few frames with the FFmpeg bundled in its wheel).
set -euo pipefail
# shellcheck source=images/smoke_common.sh
source "$(dirname "$0")/../smoke_common.sh"
smoke_header
python - <<'PY'
import io

import av
import numpy as np

buffer = io.BytesIO()
with av.open(buffer, "w", format="mp4") as container:
    stream = container.add_stream("mpeg4", rate=8)
    stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
    for t in range(8):
        frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 30 * t, np.uint8), format="rgb24")
        container.mux(stream.encode(frame))
    container.mux(stream.encode())
buffer.seek(0)
with av.open(buffer) as container:
    frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
print(f"pyav {av.__version__}: encoded and decoded {len(frames)} frames of {frames[0].shape}")
assert len(frames) == 8
PY
smoke_tests_or_imports tests/video pytorchvideo tasks.video
