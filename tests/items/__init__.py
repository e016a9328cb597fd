"""Tests of toetsbatterij.items. A package, so that its conftest is ``items.conftest`` and never
shadows another folder's ``conftest`` module."""
