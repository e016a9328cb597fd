"""Privacy by retention (issue 10, item 7): retention periods per data kind and the erasure job
(``python -m toetsbatterij.cli erase-expired``). The record of processing: docs/privacy.md."""
