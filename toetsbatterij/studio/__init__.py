"""The recording studio: item authors record the script of an audio stimulus turn by turn in the
browser, listen to the assembled result and replace the bank's synthetic file with the human
recording (``toetsbatterij.studio.service``; the audio work in ``toetsbatterij.studio.assembly``,
with PyAV). Never flask; the web layer is ``toetsbatterij/web/studio.py``."""
