"""The booking file's position and content as values, and the pure comparison of the file with its
anchor (kiosk/store/feed_state.py): what is behind, and how the anchor moves."""

from __future__ import annotations

import pytest

from kiosk.store.feed_state import Anchor, FileState, behind, moved_to

EPOCH, OTHER_EPOCH, NEW_EPOCH = "0a1b2c3d", "99887766", "12345678"


@pytest.mark.parametrize(
    ("file", "anchor", "is_behind"),
    [
        pytest.param(FileState(), Anchor(), False, id="nothing-anchored-yet"),
        pytest.param(FileState(f"{EPOCH}.9"), Anchor(EPOCH, 9), False, id="at-the-anchor"),
        pytest.param(FileState(f"{EPOCH}.12"), Anchor(EPOCH, 9), False, id="ahead-after-a-crash"),
        pytest.param(FileState(f"{EPOCH}.5"), Anchor(EPOCH, 9), True, id="same-epoch-lower-seq"),
        pytest.param(FileState(None), Anchor(EPOCH, 9), True, id="no-cursor-while-anchored"),
        pytest.param(FileState(f"{OTHER_EPOCH}.50"), Anchor(EPOCH, 9, (OTHER_EPOCH,)), True, id="retired-epoch"),
        pytest.param(
            FileState(f"{OTHER_EPOCH}.50"), Anchor(EPOCH, None, (OTHER_EPOCH,)), True, id="retired-after-reset"
        ),
        pytest.param(FileState(f"{NEW_EPOCH}.1"), Anchor(EPOCH, 9), True, id="unknown-epoch-while-anchored"),
        pytest.param(FileState(f"{NEW_EPOCH}.1"), Anchor(EPOCH, None), False, id="new-epoch-after-a-reset"),
        pytest.param(FileState(None), Anchor(EPOCH, None), False, id="reset-on-purpose"),
        pytest.param(FileState(None, 2), Anchor(generation=3), True, id="older-import"),
        pytest.param(FileState(None, 0), Anchor(generation=1), True, id="import-generation-missing"),
        pytest.param(FileState(None, 4), Anchor(generation=3), False, id="newer-import-after-a-crash"),
        pytest.param(FileState(f"{EPOCH}.9", 1), Anchor(EPOCH, 9, (), 2), True, id="synced-but-older-import"),
    ],
)
def test_a_booking_file_is_behind_its_anchor(file: FileState, anchor: Anchor, is_behind: bool) -> None:
    assert (behind(file, anchor) is not None) is is_behind


def test_the_anchor_moves_forward_only_and_a_new_epoch_retires_the_old() -> None:
    anchor = moved_to(Anchor(), f"{EPOCH}.5")
    assert anchor == Anchor(EPOCH, 5)
    assert moved_to(anchor, f"{EPOCH}.3") == anchor  # an old page's entry settled late
    anchor = moved_to(anchor, f"{NEW_EPOCH}.2")
    assert anchor == Anchor(NEW_EPOCH, 2, (EPOCH,))
    assert moved_to(anchor, f"{EPOCH}.50") == anchor  # a retired epoch never comes back
    assert (
        str(behind(FileState(f"{NEW_EPOCH}.1"), anchor))
        == f"cursor {NEW_EPOCH}.1, expected at least cursor {NEW_EPOCH}.2"
    )
