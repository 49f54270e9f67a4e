"""Pure plotly figure builders: numpy arrays in, `plotly.graph_objects.Figure` out.

No streamlit and no torch here, so every builder runs in a test or a notebook.
"""

from .common import (
    CELL_COLORS,
    DIVERGING_COLORSCALE,
    OKABE_ITO,
    PALETTE,
    TIME_COLORSCALE,
    WEIGHT_COLORS,
    base_layout,
    downsample_index,
    empty_figure,
    figure_to_html,
    minmax_downsample,
)
from .states import (
    grad_norm_curve,
    grad_norm_curves,
    grad_norm_heatmap,
    hidden_heatmap,
    trajectory_figure,
)
from .classes import class_prob_figure
from .training import (
    loss_figure,
    metric_figure,
    prediction_figure,
)

__all__ = [
    "CELL_COLORS",
    "DIVERGING_COLORSCALE",
    "OKABE_ITO",
    "PALETTE",
    "TIME_COLORSCALE",
    "WEIGHT_COLORS",
    "base_layout",
    "class_prob_figure",
    "downsample_index",
    "empty_figure",
    "figure_to_html",
    "grad_norm_curve",
    "grad_norm_curves",
    "grad_norm_heatmap",
    "hidden_heatmap",
    "loss_figure",
    "metric_figure",
    "minmax_downsample",
    "prediction_figure",
    "trajectory_figure",
]
