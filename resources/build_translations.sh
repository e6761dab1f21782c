#!/usr/bin/env bash
# Refresh the translation sources from the code, then compile them for QTranslator.
#   resources/build_translations.sh
# pyside6-lupdate adds new texts to both .ts files as "unfinished" (and drops texts the code no longer
# has); translate them in Qt Linguist (.venv/bin/pyside6-linguist resources/translations/kiosk_id.ts)
# or by hand, then run this again: pyside6-lrelease writes the .qm files the kiosk loads.
# tests/ui/test_resources.py fails while any text is unfinished or a .qm is older than its .ts;
# tests/ui/test_translations.py fails when the Indonesian console or applicant window shows English.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
ts=(resources/translations/kiosk_id.ts resources/translations/kiosk_en.ts)
"$bin/pyside6-lupdate" kiosk/ui/*.py -source-language en -no-obsolete -locations none -ts "${ts[0]}" -target-language id
"$bin/pyside6-lupdate" kiosk/ui/*.py -source-language en -no-obsolete -locations none -ts "${ts[1]}" -target-language en
"$bin/pyside6-lrelease" "${ts[@]}"
