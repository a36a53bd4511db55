"""Schemathesis's recordings (`audio/wav` bodies, which it cannot make from a schema): real WAVs
of a tone or of silence, of lengths around the limits, and arbitrary bytes."""

import io
import math
import wave

import schemathesis
from hypothesis import strategies as st


def recording(tenths: int, rate: int, loud: bool) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        frames = bytearray()
        for i in range(tenths * rate // 10):
            sample = int(8000 * math.sin(i * 440 * 2 * math.pi / rate)) if loud else 0
            frames += sample.to_bytes(2, "little", signed=True)
        wav.writeframes(bytes(frames))
    return out.getvalue()


schemathesis.openapi.media_type(
    "audio/wav",
    st.builds(recording, st.integers(0, 320), st.sampled_from([8000, 16000]), st.booleans())
    | st.binary(max_size=256),
)
