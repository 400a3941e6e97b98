"""z3 proofs of the lemmas the protocols rest on, each with a negative
control (a deliberately broken variant) that z3 must refute."""
