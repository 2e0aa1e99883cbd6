"""History: hindcasts of a historical period against dated observations, calibration of named
multipliers by bounded least squares, and sensitivity bands of the study answers."""

from .calibrate import CalibrationError, CalibrationResult, calibrate, parse_param
from .hindcast import Hindcast, HindcastError, HindcastResult, HindcastSetup, ParameterSpec, hindcast_basin, load_setup
from .multipliers import Moved, MultiplierError, scaled_basin
from .observations import Observation, ObservationError, read_observations

__all__ = ["CalibrationError", "CalibrationResult", "Hindcast", "HindcastError", "HindcastResult", "HindcastSetup",
           "Moved", "MultiplierError", "Observation", "ObservationError", "ParameterSpec", "calibrate",
           "hindcast_basin", "load_setup", "parse_param", "read_observations", "scaled_basin"]
