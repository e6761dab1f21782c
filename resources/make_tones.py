"""Write the kiosk's state tones as small WAV files (16-bit mono, 22.05 kHz) into resources/sounds/.

Each state has its own short, distinct tone, so that someone who cannot see the screen (or is not
looking) still knows what happened: a rising pair for ADMIT, a falling pair for DENY, two level notes
for REFER, three low pulses for OUT OF ORDER, a soft tick while CHECKING and a quiet note back at IDLE.
Run it again after changing a tone: `python resources/make_tones.py`. Standard library only.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 22050
FADE_S = 0.008  # short fades at both ends of every note: no clicks

#: state -> notes as (frequency Hz, seconds, volume 0..1, harmonics); a frequency of 0 is a pause.
TONES: dict[str, list[tuple[float, float, float, int]]] = {
    "idle": [(587.33, 0.09, 0.18, 1)],
    "checking": [(1318.5, 0.04, 0.25, 1)],
    "admit": [(659.25, 0.12, 0.5, 2), (0, 0.02, 0, 1), (987.77, 0.20, 0.5, 2)],
    "refer": [(523.25, 0.16, 0.45, 2), (0, 0.08, 0, 1), (523.25, 0.16, 0.45, 2)],
    "deny": [(440.0, 0.16, 0.5, 4), (0, 0.03, 0, 1), (311.13, 0.28, 0.5, 4)],
    "out_of_order": [(261.63, 0.10, 0.45, 5), (0, 0.07, 0, 1)] * 2 + [(261.63, 0.10, 0.45, 5)],
}


def note(frequency: float, seconds: float, volume: float, harmonics: int) -> list[float]:
    count = int(RATE * seconds)
    fade = max(1, int(RATE * FADE_S))
    samples = []
    for i in range(count):
        if frequency <= 0:
            samples.append(0.0)
            continue
        t = i / RATE
        # odd harmonics make the lower tones rougher (DENY, OUT OF ORDER) and easy to tell apart
        value = sum(math.sin(2 * math.pi * frequency * (2 * k + 1) * t) / (2 * k + 1) for k in range(harmonics))
        envelope = min(1.0, i / fade, (count - 1 - i) / fade)
        samples.append(volume * envelope * value / (1.0 + 0.3 * (harmonics - 1)))
    return samples


def write(path: Path, notes: list[tuple[float, float, float, int]]) -> None:
    samples = [s for n in notes for s in note(*n)]
    frames = b"".join(struct.pack("<h", int(max(-1.0, min(1.0, s)) * 32000)) for s in samples)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(frames)


def main() -> None:
    out = Path(__file__).resolve().parent / "sounds"
    out.mkdir(exist_ok=True)
    for state, notes in TONES.items():
        write(out / f"{state}.wav", notes)
        print(out / f"{state}.wav")


if __name__ == "__main__":
    main()
