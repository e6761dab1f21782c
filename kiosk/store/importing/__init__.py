"""The booking import's parts, split by what changes for different reasons: `reading` (bytes, encodings,
CSV and JSON lines into rows of text), `fields` (one row's text into a checked booking), `duplicates`
(which lines share a code or reference, and whether they agree) and `progress` (lines a person can read
while a large file goes in). `kiosk.store.importer` joins them into the two passes and is the only
module callers import."""
