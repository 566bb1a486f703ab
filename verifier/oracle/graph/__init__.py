"""The graph oracle: the program recorded on a tape with its sharing, differentiated by reverse
accumulation, evaluated exactly (rationals) or in certified ball arithmetic (docs/design.md)."""
