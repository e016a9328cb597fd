"""The demo of ``scripts/run-demo``: a simulated candidate who takes a whole test through the
real delivery services, and the Dutch writing texts and spoken answers (synthetic voice) that
candidate gives. Used by the demo seed and by tests; never by the exam-room app."""
