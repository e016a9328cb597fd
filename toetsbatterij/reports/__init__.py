"""Score reports: what the levels mean in everyday words (``levels``), the candidate's report as
a plain data object built from a frozen result, and its HTML and PDF forms. Flask-free."""
