"""ebbtide: private, honest help for someone who feels their partner pulling away.

Data flows one way through the layers (a lower layer never imports a higher one):

    model -> importers -> store -> features -> signals -> insight -> report / web -> cli
"""

__version__ = "0.1.0"
