"""QTI 3.0 content packages: export (``export_package``) and hostile-input-safe import
(``import_package``)."""

from .export import build_package, export_package, item_xml, stimulus_xml
from .importer import (
           ImportResult,
           Limits,
           QtiImportError,
           import_package,
           read_zip,
           write_documents,
)

__all__ = ["ImportResult", "Limits", "QtiImportError", "build_package", "export_package",
           "import_package", "item_xml", "read_zip", "stimulus_xml", "write_documents"]
