"""toetsbatterij: the digital test battery for attesting the Dutch (NT2) level of adults in Flanders.

Sub-packages (see ARCHITECTURE in the README):

- ``scoring``  pure IRT/CAT core (numpy, scipy, standard library only)
- ``items``    item types, bank loading and checking, QTI exchange
- ``web``      the Flask layer (the only importer of flask)
- services     ``delivery``, ``accounts``, ... (SQLAlchemy models and use-cases, no flask)
"""

__version__ = "0.1.0"
