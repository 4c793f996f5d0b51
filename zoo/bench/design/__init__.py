"""What to run: presets (presets.py), the matrix of trials they and the flags expand to (matrix.py), tuning's
search spaces (search_space.py) and the stable names and orders of models and tasks (ordering.py).

Imports no other room. A new preset goes in presets.py; a new flag of the matrix in matrix.py's MatrixSpec.
"""
