"""Issue 11, part A: the functions it adds to the language (the registry test checks them)."""

ELEMENTWISE = set("""
atan2 hypot xlogy xlog1py logaddexp lerp asinh acosh atanh log2 log10 exp2 erfc erfinv lgamma
digamma rsqrt sign floor ceil round trunc frac logit sinc
""".split())

NN_FUNCTIONAL = set("""
""".split())

ISSUE_11A = ELEMENTWISE | NN_FUNCTIONAL

# torch's grad_fn name depends on the call (round with decimals: RoundBackward1; lerp with
# a tensor weight: LerpBackward1; composites end in the node of their last primitive).
NAME_VARIES = {"round", "lerp"}
