"""Simulation modes: optimise (perfect foresight), step (one period at a time), rolling horizon
with forecasts; window models moved through the run by named parameters."""

from .forecast import ForecastError, read_forecast_file
from .simulator import MODES, SimulationError, Simulator, simulate

__all__ = ["MODES", "ForecastError", "SimulationError", "Simulator", "read_forecast_file", "simulate"]
