"""TLA+ specifications (``*.tla``, ``*.cfg``) and the Python tooling that runs
TLC on them: the runner, the output parser and trace validation."""
