"""Signed attests of a person's Dutch level: rules as data (``rules``, ``rulesets``), keys and
signatures (``keys``), issuing, revocation with four eyes and public verification
(``service``), the PDF (``pdf``), the W3C Verifiable Credential and status lists
(``credential``), and the demo export (``export``)."""
