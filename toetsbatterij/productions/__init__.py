"""Productions: what a candidate writes and says (writing drafts, speaking recordings, the
microphone check). Models, use-cases (``service``) and the recording storage (``storage``)."""
