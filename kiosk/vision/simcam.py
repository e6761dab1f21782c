"""A simulated camera: a scripted scene rendered at a steady frame rate, with faults like a real one.

The demo and the tests use it when no webcam is present. The scene is an office wall with sensor noise;
scripted stretches show booking QR codes (segno) on a phone screen (light or dark mode) or on paper,
swaying, tilted, blurred, with glare, at any resolution. Faults mimic real cameras: reads that return
nothing or fail, frozen (identical) frames, black or over-exposed frames, a busy device, and an unplug
that comes back, possibly at another device index.

Frames follow a sensor clock: frame i is exposed at start + i/fps and carries that time. A reader that is
late gets the newest due frame (older ones are missed, like a camera with a one-frame buffer). With
realtime=False the camera runs on its own ManualClock (`camera.clock`), so tests run without sleeping.
Idle frames come from a small pool rendered once, so the camera itself costs almost nothing while idle.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt
import segno

from kiosk.vision.clock import Clock, ManualClock, MonotonicClock
from kiosk.vision.frames import CameraFault, CameraGone, Frame, Image, as_image

Medium = Literal["phone", "paper"]
FaultKind = Literal["no_frame", "read_error", "frozen", "black", "overexposed", "disconnect", "busy"]

POOL_SIZE = 4
EXPOSURE_S = 1 / 60  # motion blur grows with hand speed times exposure
DARK_SCREEN = 18
DARK_MODULE = 228
QUIET = 4  # modules of quiet zone around a code


@dataclass(frozen=True, slots=True)
class Scene:
    """One scripted stretch of what the camera sees; no codes means nobody is at the kiosk."""

    duration: float
    codes: tuple[str, ...] = ()
    medium: Medium = "phone"
    dark_mode: bool = False
    mirrored: bool = False
    size: float = 0.4  # code side as a fraction of the frame height
    position: tuple[float, float] = (0.5, 0.5)  # card centre, fractions of width and height
    sway: float = 0.0  # hand motion amplitude, fraction of the frame height
    tilt: float = 0.0  # degrees the card leans back (perspective)
    yaw: float = 0.0  # degrees the card turns sideways (perspective)
    turn: float = 0.0  # degrees of in-plane rotation
    blur: float = 0.0  # focus blur, Gaussian sigma in pixels
    glare: float = 0.0  # 0..1 strength of a bright reflection across the card
    contrast: float = 1.0  # < 1: dim screen or poor light
    phase: float = 0.0  # where in its sway cycle the hand starts (radians)


@dataclass(frozen=True, slots=True)
class Fault:
    """A camera misbehaving from `start` to `end` seconds after open; `new_index` is where a
    disconnected camera comes back."""

    kind: FaultKind
    start: float
    end: float
    new_index: int | None = None


@dataclass(frozen=True, slots=True)
class Card:
    """A rendered phone or sheet of paper, and the side of the code on it in card pixels."""

    image: Image
    code_side: int


def empty(seconds: float) -> Scene:
    return Scene(duration=seconds)


def qr_modules(text: str, mirrored: bool = False) -> npt.NDArray[np.bool_]:
    """The module matrix of a (never micro) QR code holding `text`; True is a dark module."""
    matrix = np.array(segno.make(text, micro=False, error="m").matrix, dtype=bool)
    return matrix[:, ::-1] if mirrored else matrix


class SimulatedCamera:
    """A FrameSource rendering `script` at `fps`; see the module docstring."""

    def __init__(
        self,
        script: Sequence[Scene] = (),
        width: int = 1280,
        height: int = 720,
        fps: float = 30.0,
        seed: int = 0,
        realtime: bool = True,
        *,
        faults: Sequence[Fault] = (),
        index: int = 0,
        search_other_indexes: bool = True,
        noise: float = 2.5,
        loop: bool = False,
        clock: Clock | None = None,
    ) -> None:
        self.script = tuple(script)
        self.width, self.height, self.fps = width, height, fps
        self.faults = tuple(faults)
        self.index = index
        self.search_other_indexes = search_other_indexes
        self.loop = loop
        self.clock: Clock = clock or (MonotonicClock() if realtime else ManualClock())
        self._rng = np.random.default_rng(seed)
        self._device_index = index
        self._opened_index: int | None = None
        self._dead_handle = False
        self._start: float | None = None
        self._next = 0
        self._last: Image | None = None
        self._cards: dict[int, list[tuple[Card, tuple[float, float]]]] = {}
        self.frames_missed = 0
        self._noise_pool = [_noise(self._rng, height, width, noise) for _ in range(POOL_SIZE)]
        self._wall = _office_wall(width, height, self._rng)
        self._idle_pool = _pool(self._wall, self._noise_pool)
        self._pools: dict[str, list[Image]] = {}

    # --- FrameSource ------------------------------------------------------------------------------

    @property
    def description(self) -> str:
        where = f"#{self._opened_index}" if self._opened_index is not None else f"#{self.index} (closed)"
        return f"simulated camera {where} {self.width}x{self.height}@{self.fps:g}"

    @property
    def opened_index(self) -> int | None:
        return self._opened_index

    def open(self) -> None:
        """Open the device; the first attempt starts the script's clock."""
        if self._start is None:
            self._start = self.clock.now()
        t = self.clock.now() - self._origin
        self._follow_replug(t)
        if self._fault_at(t, ("disconnect",)):
            raise CameraGone(f"no camera at index {self.index}")
        if self._fault_at(t, ("busy",)):
            raise CameraFault(f"camera #{self.index} is busy (in use by another program)")
        if self._device_index != self.index and not self.search_other_indexes:
            raise CameraGone(f"no camera at index {self.index}")
        self._opened_index = self._device_index
        self._dead_handle = False

    def read(self) -> Frame | None:
        """The next frame at its exposure time. It is drawn before that time, so drawing costs no latency."""
        if self._opened_index is None:
            raise CameraFault("camera is not open")
        index, ts = self._next_frame()
        t = ts - self._origin
        if self._dead_handle or self._fault_at(t, ("disconnect",)):
            self._dead_handle = True
            raise CameraGone(f"camera #{self._opened_index} disconnected")
        try:
            image = self._frame_at(t, index)
        finally:
            self._wait_until(ts)
        if image is None:
            return None
        self._last = image
        return Frame(image, ts, index)

    @property
    def started_at(self) -> float | None:
        """Clock time of script time 0 (the first open attempt); None before it."""
        return self._start

    def close(self) -> None:
        self._opened_index = None

    # --- timing and faults --------------------------------------------------------------------------

    def _next_frame(self) -> tuple[int, float]:
        """The next frame's index and exposure time; a late reader skips to the newest one due."""
        now = self.clock.now()
        due = self._origin + self._next / self.fps
        if now >= due:
            late_frames = int((now - due) * self.fps)
            self.frames_missed += late_frames
            self._next += late_frames
            due = self._origin + self._next / self.fps
        index = self._next
        self._next += 1
        return index, due

    def _wait_until(self, when: float) -> None:
        wait = when - self.clock.now()
        if wait > 0:
            self.clock.sleep(wait)
        if isinstance(self.clock, ManualClock):
            self.clock.advance_to(when)

    @property
    def _origin(self) -> float:
        """When the script started (the first open attempt)."""
        return self._start if self._start is not None else self.clock.now()

    def _fault_at(self, t: float, kinds: Sequence[FaultKind]) -> Fault | None:
        for fault in self.faults:
            if fault.kind in kinds and fault.start <= t < fault.end:
                return fault
        return None

    def _follow_replug(self, t: float) -> None:
        for fault in self.faults:
            if fault.kind == "disconnect" and t >= fault.end and fault.new_index is not None:
                self._device_index = fault.new_index

    def _frame_at(self, t: float, index: int) -> Image | None:
        fault = self._fault_at(t, ("no_frame", "read_error", "frozen", "black", "overexposed"))
        kind = fault.kind if fault else None
        if kind == "no_frame":
            return None
        if kind == "read_error":
            raise CameraFault("read failed (simulated driver error)")
        if kind == "frozen" and self._last is not None:
            return self._last
        if kind in ("black", "overexposed"):
            return self._exposure_pool(kind)[index % POOL_SIZE]
        return self.render(t, index)

    def _exposure_pool(self, kind: str) -> list[Image]:
        if kind not in self._pools:
            level, noises = (0, [abs(n) // 2 for n in self._noise_pool]) if kind == "black" else (252, self._noise_pool)
            self._pools[kind] = _pool(np.full((self.height, self.width, 3), level, np.uint8), noises)
        return self._pools[kind]

    # --- rendering ----------------------------------------------------------------------------------

    def scene_at(self, t: float) -> tuple[int, Scene, float] | None:
        """(scene number, scene, seconds into it) at script time `t`, None after the script ends."""
        total = sum(scene.duration for scene in self.script)
        if total <= 0 or (t >= total and not self.loop):
            return None
        t = t % total
        for number, scene in enumerate(self.script):
            if t < scene.duration:
                return number, scene, t
            t -= scene.duration
        return None

    def render(self, t: float, index: int = 0) -> Image:
        """The frame at script time `t` (also usable directly, e.g. for still images in tests)."""
        found = self.scene_at(t)
        if found is None or not found[1].codes:
            return self._idle_pool[index % POOL_SIZE]
        number, scene, local_t = found
        frame = self._idle_pool[index % POOL_SIZE].copy()
        for i, (card, centre) in enumerate(self._scene_cards(number, scene)):
            self._draw_card(frame, card, centre, scene, local_t, index, layered=i > 0)
        return frame

    def _scene_cards(self, number: int, scene: Scene) -> list[tuple[Card, tuple[float, float]]]:
        """The cards of the current scene, drawn once per scene (only one scene's cards are kept)."""
        if number not in self._cards:
            self._cards = {number: [(self._card(scene, text), _centre(scene, i)) for i, text in enumerate(scene.codes)]}
        return self._cards[number]

    def _card(self, scene: Scene, text: str) -> Card:
        modules = qr_modules(text, scene.mirrored)
        module = max(2, math.ceil(1.5 * scene.size * self.height / (len(modules) + 2 * QUIET)))
        card = phone_card(modules, module, scene.dark_mode) if scene.medium == "phone" else paper_card(modules, module)
        image = card.image
        if scene.contrast < 1.0:
            image = as_image(cv2.addWeighted(image, scene.contrast, image, 0, 128 * (1 - scene.contrast)))
        if scene.glare > 0:
            image = _add_glare(image, scene.glare)
        return Card(image, card.code_side)

    def _draw_card(
        self,
        frame: Image,
        card: Card,
        centre: tuple[float, float],
        scene: Scene,
        t: float,
        index: int,
        layered: bool = False,
    ) -> None:
        """Warp the card into the frame over the clean wall, then blur and add this frame's noise."""
        height, width = card.image.shape[:2]
        scale = scene.size * self.height / card.code_side
        offset, speed = _sway(scene, t, self.height)
        cx, cy = centre[0] * self.width + offset[0], centre[1] * self.height + offset[1]
        quad = _project(width, height, scale, scene, (cx, cy), self.width)
        x0, y0 = (max(0, int(v)) for v in np.floor(quad.min(axis=0)))
        x1, y1 = (int(v) for v in np.ceil(quad.max(axis=0)))
        x1, y1 = min(x1, self.width), min(y1, self.height)
        if x1 - x0 < 2 or y1 - y0 < 2:
            return
        src = np.array([(0, 0), (width, 0), (width, height), (0, height)], np.float32)
        matrix = cv2.getPerspectiveTransform(src, (quad - (x0, y0)).astype(np.float32))
        roi = np.ascontiguousarray(frame[y0:y1, x0:x1] if layered else self._wall[y0:y1, x0:x1])
        cv2.warpPerspective(
            card.image, matrix, (x1 - x0, y1 - y0), dst=roi, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT
        )
        _blur(roi, scene.blur, speed)
        if not layered:  # the background in the frame already carries this frame's noise
            roi = np.clip(roi.astype(np.int16) + self._noise_pool[index % POOL_SIZE][y0:y1, x0:x1], 0, 255)
        frame[y0:y1, x0:x1] = roi


# --- cards ------------------------------------------------------------------------------------------


def code_image(modules: npt.NDArray[np.bool_], module: int, dark: int = 0, light: int = 255) -> Image:
    """The code with its quiet zone, `module` pixels per module, grey."""
    padded = np.pad(modules, QUIET, constant_values=False)
    gray = np.where(padded, dark, light).astype(np.uint8)
    return as_image(np.repeat(np.repeat(gray, module, axis=0), module, axis=1))


def phone_card(modules: npt.NDArray[np.bool_], module: int, dark_mode: bool) -> Card:
    """A phone: dark body, a screen with an app header, the code, and lines of text under it."""
    code = code_image(modules, module, DARK_MODULE, DARK_SCREEN) if dark_mode else code_image(modules, module)
    side = code.shape[0]
    screen_bg = DARK_SCREEN if dark_mode else 250
    pad, header, footer, bezel = side // 8, side // 4, side // 2, max(4, side // 14)
    screen = np.full((header + side + footer, side + 2 * pad, 3), screen_bg, np.uint8)
    screen[: header * 2 // 3] = (140, 70, 20) if not dark_mode else (60, 40, 25)
    screen[header : header + side, pad : pad + side] = code[:, :, None]
    ink = 200 if dark_mode else 60
    for line in range(3):
        y = header + side + footer // 5 + line * footer // 5
        screen[y : y + max(2, footer // 14), pad : pad + side * (3 - line) // 3] = ink
    card = np.full((screen.shape[0] + 2 * bezel, screen.shape[1] + 2 * bezel, 3), 28, np.uint8)
    card[bezel:-bezel, bezel:-bezel] = screen
    return Card(card, side)


def paper_card(modules: npt.NDArray[np.bool_], module: int) -> Card:
    """A printed cover letter: off-white paper, the code, a title and lines of text."""
    code = code_image(modules, module, 20, 238)
    side = code.shape[0]
    margin = side // 3
    sheet = np.full((side + 2 * margin + side // 2, side + 2 * margin, 3), (226, 234, 238), np.uint8)
    sheet[margin // 3 : margin // 3 + max(3, side // 16), margin : margin + side] = 40
    sheet[margin : margin + side, margin : margin + side] = code[:, :, None]
    for line in range(4):
        y = margin + side + side // 10 + line * side // 10
        sheet[y : y + max(2, side // 40), margin : margin + side * (4 - line % 2) // 4] = 70
    return Card(sheet, side)


def _add_glare(card: Image, strength: float) -> Image:
    height, width = card.shape[:2]
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    blob = np.exp(-(((xx - width * 0.62) / (width * 0.22)) ** 2 + ((yy - height * 0.4) / (height * 0.12)) ** 2))
    lifted = card.astype(np.float32) + (strength * 235.0 * blob)[:, :, None]
    return as_image(np.clip(lifted, 0, 255).astype(np.uint8))


# --- geometry ---------------------------------------------------------------------------------------


def _centre(scene: Scene, i: int) -> tuple[float, float]:
    if len(scene.codes) == 1:
        return scene.position
    step = 0.8 / len(scene.codes)
    return 0.1 + step * (i + 0.5), scene.position[1]


def _sway(scene: Scene, t: float, height: int) -> tuple[tuple[float, float], float]:
    """Hand motion: offset in pixels and speed in pixels per second."""
    amp = scene.sway * height
    wx, wy = 2 * math.pi * 0.7, 2 * math.pi * 0.45
    a, b = wx * t + scene.phase, wy * t + 1.0 + scene.phase
    offset = (amp * math.sin(a), 0.6 * amp * math.sin(b))
    speed = math.hypot(amp * wx * math.cos(a), 0.6 * amp * wy * math.cos(b))
    return offset, speed


def _project(
    width: int, height: int, scale: float, scene: Scene, centre: tuple[float, float], focal: float
) -> npt.NDArray[np.float64]:
    """Image positions of the card's corners after tilt, yaw, in-plane turn and a pinhole projection."""
    corners = (
        np.array(
            [(-width / 2, -height / 2), (width / 2, -height / 2), (width / 2, height / 2), (-width / 2, height / 2)]
        )
        * scale
    )
    tilt, yaw, turn = (math.radians(a) for a in (scene.tilt, scene.yaw, scene.turn))
    x, y = corners[:, 0], corners[:, 1]
    y, z = y * math.cos(tilt), y * math.sin(tilt)
    x, z = x * math.cos(yaw), z + x * math.sin(yaw)
    persp = focal / (focal + z)
    x, y = x * persp, y * persp
    cos_t, sin_t = math.cos(turn), math.sin(turn)
    return np.stack([x * cos_t - y * sin_t + centre[0], x * sin_t + y * cos_t + centre[1]], axis=1)


def _blur(roi: Image, sigma: float, speed: float) -> None:
    """Focus blur plus horizontal motion blur from the hand's speed, in place."""
    if sigma > 0.3:
        cv2.GaussianBlur(roi, (0, 0), sigma, dst=roi)
    length = round(speed * EXPOSURE_S)
    if length >= 2:
        kernel = np.full((1, length), 1.0 / length, np.float32)
        cv2.filter2D(roi, -1, kernel, dst=roi)


# --- background ---------------------------------------------------------------------------------------


def _office_wall(width: int, height: int, rng: np.random.Generator) -> Image:
    """A plain wall with a floor, a door frame and a notice with a few lines of large text."""
    ramp = np.linspace(176, 150, height, dtype=np.float32)[:, None, None]
    wall = np.broadcast_to(ramp * np.array([0.92, 1.0, 1.04], np.float32), (height, width, 3)).copy()
    wall[int(height * 0.82) :] *= 0.55
    door = (int(width * 0.72), int(height * 0.12), int(width * 0.9), int(height * 0.82))
    cv2.rectangle(wall, door[:2], door[2:], (96, 110, 124), thickness=max(3, width // 160))
    notice = (int(width * 0.08), int(height * 0.14), int(width * 0.24), int(height * 0.38))
    cv2.rectangle(wall, notice[:2], notice[2:], (238, 240, 240), thickness=-1)
    for line in range(4):
        y = notice[1] + (line + 1) * (notice[3] - notice[1]) // 6
        x_end = notice[0] + int((notice[2] - notice[0]) * rng.uniform(0.5, 0.9))
        cv2.line(wall, (notice[0] + width // 80, y), (x_end, y), (60, 60, 140), max(2, height // 120))
    return np.clip(wall, 0, 255).astype(np.uint8)


def _noise(rng: np.random.Generator, height: int, width: int, std: float) -> npt.NDArray[np.int16]:
    """Sensor noise for a whole frame, tiled from a random patch (cheap to make at 1080p)."""
    patch = rng.normal(0, std, (241, 257, 3)).astype(np.int16)
    reps = (height // patch.shape[0] + 1, width // patch.shape[1] + 1, 1)
    return np.ascontiguousarray(np.tile(patch, reps)[:height, :width])


def _pool(base: Image, noises: Sequence[npt.NDArray[np.int16]]) -> list[Image]:
    """Pre-rendered noisy variants of a still background, read-only (frames are shared buffers)."""
    pool = []
    for noise in noises:
        frame = np.clip(base.astype(np.int16) + noise, 0, 255).astype(np.uint8)
        frame.flags.writeable = False
        pool.append(frame)
    return pool
