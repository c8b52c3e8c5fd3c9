"""Server-side voice for calls: espeak-ng (Vietnamese voice) when installed, cached per phrase part.

"Mời công dân có số thứ tự A015 đến quầy số 3" is spoken as four parts; each part's WAV is
generated once into var/voice/ and the parts are joined with short pauses. When espeak-ng is
missing, `available()` is False and the board uses the browser's speechSynthesis instead.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import threading
import wave
from pathlib import Path

from django.conf import settings

from motcua.queueing.numbering import call_phrase_parts

VOICE = "vi"
SPEED = 150  # words per minute: slower than espeak's 175 so numbers are clear in a hall
PAUSE_S = 0.18
_lock = threading.Lock()


def espeak_path() -> str | None:
    return shutil.which("espeak-ng")


def available() -> bool:
    return espeak_path() is not None


def cache_dir() -> Path:
    path = Path(settings.VAR_DIR) / "voice"
    path.mkdir(parents=True, exist_ok=True)
    return path


def part_wav(text: str) -> Path:
    """The cached WAV of one phrase part (generated on first use)."""
    exe = espeak_path()
    if exe is None:
        raise RuntimeError("espeak-ng is not installed")
    key = hashlib.sha256(f"{VOICE}|{SPEED}|{text}".encode()).hexdigest()[:24]
    path = cache_dir() / f"{key}.wav"
    if not path.exists():
        with _lock:
            if not path.exists():
                tmp = path.with_suffix(".tmp")
                subprocess.run(
                    [exe, "-v", VOICE, "-s", str(SPEED), "-w", str(tmp), text],
                    check=True,
                    timeout=20,
                    capture_output=True,
                )
                tmp.replace(path)
    return path


def join_wavs(paths: list[Path], pause_s: float = PAUSE_S) -> bytes:
    """Concatenate WAV files of the same format with silence between them."""
    out = io.BytesIO()
    params = None
    frames: list[bytes] = []
    for p in paths:
        with wave.open(str(p), "rb") as w:
            if params is None:
                params = w.getparams()
            frames.append(w.readframes(w.getnframes()))
    if params is None:
        raise ValueError("nothing to join")
    silence = b"\x00" * int(params.framerate * pause_s) * params.sampwidth * params.nchannels
    with wave.open(out, "wb") as w:
        w.setnchannels(params.nchannels)
        w.setsampwidth(params.sampwidth)
        w.setframerate(params.framerate)
        for i, chunk in enumerate(frames):
            if i:
                w.writeframes(silence)
            w.writeframes(chunk)
    return out.getvalue()


def call_audio(display: str, counter_number: int) -> bytes:
    """WAV bytes of the call for a ticket at a counter."""
    return join_wavs([part_wav(part) for part in call_phrase_parts(display, counter_number)])
