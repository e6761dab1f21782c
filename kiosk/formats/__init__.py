"""How values are written as text, shared by the kiosk's store and the central server: times
(`times`), an office's rules as JSON (`rules`) and the names of constraints and indexes (`naming`).

Pure Python over kiosk.domain, below both kiosk.store and kiosk.protocol in the layers (pyproject.toml),
so that the server needs nothing from the kiosk's store and the store nothing from the wire protocol.
"""
