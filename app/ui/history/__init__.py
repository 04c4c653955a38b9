"""The history windows: what the store holds, imports, downloads, recording, the account report.

Every read or write of the history store runs on a worker thread
(``worker.py``) through ``app.engine.history_library``; downloads and tick
recording are the engine's jobs, driven by commands and followed by their facts.
"""
