"""Tests of toetsbatterij.studio (a package, like tests/items)."""
