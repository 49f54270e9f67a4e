"""Read back the numbers a page shows in LaTeX."""
import numpy as np


def parse_bmatrices(latex: str) -> list[np.ndarray]:
    """Every bmatrix in a LaTeX string, as arrays (the numbers on screen)."""
    out = []
    for part in latex.split(r"\begin{bmatrix}")[1:]:
        body = part.split(r"\end{bmatrix}")[0]
        out.append(np.array([[float(v) for v in row.split("&")] for row in body.split(r"\\")]))
    return out
