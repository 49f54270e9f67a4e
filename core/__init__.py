"""RNN Explorer's engine: models, tasks, datasets, training, instrumentation and analysis.

torch and numpy only (no UI imports), so everything here runs from a script or a notebook.
"""
from .models import HEADS, MODEL_KINDS, NONLINEARITIES, ModelConfig, build_model, count_parameters, model_from_config
from .tasks import IGNORE, IO_KINDS, TASKS, Batch, Task, get_task
from .trace import Trace, trace, whh_eigenvalues
from .jacobians import jacobian_log_products, jacobian_product_norms, state_jacobians
from .trainer import OPTIMIZERS, Trainer, describe_device, pick_device
from .analysis import FixedPoints, PCABasis, align_basis, find_fixed_points, fit_pca, project
from .lyapunov import lyapunov_exponent, lyapunov_from_growth, lyapunov_spectrum, perturbation_growth
from .datasets import FORMATS, DatasetError, SequenceDataset, dataset_task, load_dataset
from .baselines import Baselines, dataset_baselines
from .suggest import DataShape, Reason, Suggestion, data_shape, suggest_settings

__all__ = [
    "load_dataset", "DatasetError", "SequenceDataset", "dataset_task", "FORMATS",
    "Baselines", "dataset_baselines", "DataShape", "Reason", "Suggestion", "data_shape", "suggest_settings",
    "PCABasis", "fit_pca", "project", "align_basis", "find_fixed_points", "FixedPoints",
    "perturbation_growth", "lyapunov_exponent", "lyapunov_from_growth", "lyapunov_spectrum",
    "MODEL_KINDS", "NONLINEARITIES", "HEADS", "ModelConfig", "build_model", "model_from_config",
    "count_parameters",
    "TASKS", "IO_KINDS", "IGNORE", "Task", "Batch", "get_task",
    "Trainer", "OPTIMIZERS", "pick_device", "describe_device",
    "Trace", "trace", "whh_eigenvalues", "state_jacobians", "jacobian_product_norms", "jacobian_log_products",
]
