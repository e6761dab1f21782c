"""Write the spoken prompts (Indonesian) after each state's tone, as WAV files in resources/sounds/voice/.

A tone tells that something happened; the words tell what, for someone who cannot read the screen
(or is not looking at it). The speech is made here, at build time, by espeak-ng from Debian
(`apt-get install espeak-ng`), so the kiosk needs no speech engine: it plays a WAV like the tones.
Each file is the state's tone (resources/sounds/<state>.wav, from make_tones.py), a short pause, then
the words. Run again after changing a text or a tone: `python resources/make_prompts.py`.
The texts say what the screen says, shorter; they never name a person or a booking.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

SOUNDS = Path(__file__).resolve().parent / "sounds"
VOICE = SOUNDS / "voice"
PAUSE_S = 0.15
SPEED_WPM = 145  # a little slower than espeak-ng's 175: a noisy hall, many who are not native speakers

#: state -> what is said (Indonesian), matching the applicant screen's headline and first sentence.
PROMPTS: dict[str, str] = {
    "admit": "Silakan masuk.",
    "refer": "Mohon tunggu. Petugas akan segera membantu Anda.",
    "deny": "Maaf, Anda belum dapat masuk. Silakan baca keterangan di layar.",
    "out_of_order": "Pemindai sedang tidak berfungsi. Mohon tunggu petugas.",
}


def speak(text: str, out: Path) -> None:
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        sys.exit("espeak-ng is not installed: apt-get install espeak-ng")
    subprocess.run([espeak, "-v", "id", "-s", str(SPEED_WPM), "-w", str(out), text], check=True)


def frames_of(path: Path) -> tuple[wave._wave_params, bytes]:
    with wave.open(str(path), "rb") as handle:
        return handle.getparams(), handle.readframes(handle.getnframes())


def join(tone: Path, speech: Path, out: Path) -> None:
    """Tone, pause, speech in one file; both must be 16-bit mono at the same rate (checked)."""
    tone_params, tone_frames = frames_of(tone)
    speech_params, speech_frames = frames_of(speech)
    same = (tone_params.nchannels, tone_params.sampwidth, tone_params.framerate)
    if same != (speech_params.nchannels, speech_params.sampwidth, speech_params.framerate):
        sys.exit(f"{tone.name} and the speech differ in format: {tone_params} vs {speech_params}")
    silence = b"\0\0" * int(tone_params.framerate * PAUSE_S)
    with wave.open(str(out), "wb") as handle:
        handle.setnchannels(tone_params.nchannels)
        handle.setsampwidth(tone_params.sampwidth)
        handle.setframerate(tone_params.framerate)
        handle.writeframes(tone_frames + silence + speech_frames)


def main() -> None:
    VOICE.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for state, text in PROMPTS.items():
            speech = Path(tmp) / f"{state}.wav"
            speak(text, speech)
            join(SOUNDS / f"{state}.wav", speech, VOICE / f"{state}.wav")
            print(f"{VOICE / state}.wav: {text}")


if __name__ == "__main__":
    main()
