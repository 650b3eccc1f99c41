"""Video codec corruptions of ImageNet-3DCC through FFmpeg's own libraries (PyAV): H.265 at a reduced average bit
rate and bit errors in an H.264 stream (EPFL-VILAB/3DCommonCorruptions `create_3dcc/motion_video/create_video.py`
and `video_distortions.py`, after Newbeeyoung/Video-Corruption-Robustness).

The reference writes each image's camera-motion clip with moviepy (libx264, preset medium, CRF 23, yuv420p, 25 fps),
then runs the ffmpeg command line:
- h265_abr: `-vcodec libx265 -b:v R -maxrate R -bufsize R` with R = the clip's bit rate (ffprobe's format bit_rate)
  divided by 2, 4, 8, 16, 32;
- bit_error: `-c copy -bsf noise=A` (A = 100000 ... 10000: FFmpeg's `noise` bitstream filter rewrites a byte each
  time its running byte sum is a multiple of A);
and keeps frame 120 of the decoded PNG sequence, the end of the clip. Here the same libraries run in-process: PyAV's
libx264 / libx265 encoders with those settings, the same `noise` filter on the demuxed packets, and the last decoded
frame. Encoders run single-threaded so that a seed gives the same images on every machine (the reference's thread
count followed the machine); colour conversion is swscale's bicubic, the ffmpeg command line's default.
"""

from __future__ import annotations

import io

import numpy as np

from dscr.config import DscrError

FPS = 25
SOURCE_OPTIONS = {"preset": "medium", "crf": "23", "threads": "1"}  # moviepy's write_videofile defaults
X265_PARAMS = "pools=none:frame-threads=1:log-level=error"
INTERPOLATION = "BICUBIC"


def _av():
    try:
        import av
    except ImportError as exc:  # pragma: no cover - av is in the lock file
        raise DscrError("the video codec corruptions need PyAV (`pip install av`)") from exc
    return av


def encode(frames, codec: str, options: dict[str, str], bit_rate: int | None = None) -> bytes:
    """MP4 bytes of `frames` (uint8 (T, H, W, 3) arrays, or PyAV frames), yuv420p at 25 fps, cropped to even sizes."""
    av = _av()
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream(codec, rate=FPS, options=options)
        first = frames[0]
        height, width = (first.shape[:2] if isinstance(first, np.ndarray) else (first.height, first.width))
        stream.width, stream.height, stream.pix_fmt = width - width % 2, height - height % 2, "yuv420p"
        if bit_rate is not None:
            stream.bit_rate = bit_rate
        for index, frame in enumerate(frames):
            if isinstance(frame, np.ndarray):
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame[:stream.height, :stream.width]),
                                                   format="rgb24")
            frame = frame.reformat(width=stream.width, height=stream.height, format="yuv420p",
                                   interpolation=INTERPOLATION)
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buffer.getvalue()


def source_clip(frames) -> bytes:
    """The clip as moviepy writes it: libx264, preset medium, CRF 23."""
    return encode(frames, "libx264", SOURCE_OPTIONS)


def _decode_last(data: bytes, noise: str | None = None) -> np.ndarray:
    """The last frame decoded from MP4 bytes (through a bitstream filter first, when given), as uint8 RGB; black
    when no frame decodes at all."""
    av = _av()
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        decoder = av.CodecContext.create(stream.codec_context.name, "r")
        decoder.extradata = stream.codec_context.extradata
        decoder.thread_count = 1
        packets = [p for p in container.demux(stream) if p.size]
        if noise:
            bsf = av.bitstream.BitStreamFilterContext(noise, stream)
            packets = [q for p in packets + [None] for q in bsf.filter(p)]
        last = None
        for packet in packets + [None]:  # None drains the decoder
            try:
                for frame in decoder.decode(packet):
                    last = frame
            except av.error.FFmpegError:  # a damaged packet: the decoder conceals what it can, as ffmpeg does
                continue
        width, height = stream.codec_context.width, stream.codec_context.height
    if last is None:
        return np.zeros((height, width, 3), dtype=np.uint8)
    return last.to_ndarray(format="rgb24", interpolation=INTERPOLATION)


def bit_rate(data: bytes) -> int:
    """The format bit rate ffprobe reports: file size x 8 / duration."""
    av = _av()
    with av.open(io.BytesIO(data)) as container:
        return int(container.bit_rate)


def h265_abr(clip: bytes, divisor: int) -> np.ndarray:
    """The clip re-encoded by libx265 at 1 / `divisor` of its bit rate (average, max and buffer alike); last frame."""
    av = _av()
    rate = int(float(bit_rate(clip)) / divisor)
    with av.open(io.BytesIO(clip)) as container:
        frames = list(container.decode(video=0))
    options = {"maxrate": str(rate), "bufsize": str(rate), "x265-params": X265_PARAMS}
    return _decode_last(encode(frames, "libx265", options, bit_rate=rate))


def bit_error(clip: bytes, amount: int) -> np.ndarray:
    """The clip's packets through FFmpeg's `noise=amount` bitstream filter, decoded; last frame."""
    return _decode_last(clip, noise=f"noise={amount}")
