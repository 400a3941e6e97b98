---- MODULE OutOfDomain ----
EXTENDS Naturals, Sequences
VARIABLE x
Init == x = <<1>>
Next == x' = Append(x, x[3])
====
