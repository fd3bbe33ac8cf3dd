"""PK fixtures: the released parameter sets, a label titration, and an independent ODE reference."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from dosewise.domain.pk import IndividualModel, ParameterSet, individualise
from dosewise.domain.quantity import mg
from dosewise.domain.regimen import Plan, Step, default_times
from dosewise.domain.rules import KnowledgeBase
from dosewise.knowledge.pk import load_parameter_sets

OdeReference = Callable[[IndividualModel, np.ndarray, np.ndarray, np.ndarray], np.ndarray]


@pytest.fixture(scope="session")
def parameter_sets(kb: KnowledgeBase) -> dict[str, ParameterSet]:
    """Every parameter set of the released pk.toml, built into the domain."""
    return load_parameter_sets(kb, "baclofen")[0]


@pytest.fixture(scope="session")
def simon(parameter_sets: dict[str, ParameterSet]) -> ParameterSet:
    """The default one-compartment set."""
    return parameter_sets["simon2018"]


@pytest.fixture(scope="session")
def kochak(parameter_sets: dict[str, ParameterSet]) -> ParameterSet:
    """The two-compartment set."""
    return parameter_sets["kochak1985"]


@pytest.fixture
def label_titration() -> Plan:
    """The US label titration: 5, 10, 15, 20 mg three times a day, three days each (12 days)."""
    steps = []
    start = date(2026, 3, 20)
    for dose in (5, 10, 15, 20):
        step = Step(start, 3, mg(dose), default_times(3))
        steps.append(step)
        start = step.end
    return Plan("baclofen", "oral", tuple(steps), "2026.11.0", kind="titration", then="continue")


@pytest.fixture
def paris() -> ZoneInfo:
    """A zone with daylight saving (spring forward on 2026-03-29)."""
    return ZoneInfo("Europe/Paris")


def _drawn_subject(
    parameter_set: ParameterSet, ka: float, cl: float, v: float, crcl: float
) -> IndividualModel:
    """A population subject's one-compartment model (its own ka, CL/F, V/F) for the closed-form engine:
    k = CL/V, and the unit-dose coefficients +-ka / (V (ka - k))."""
    k = cl / v
    a = ka / (v * (ka - k))
    return replace(
        individualise(parameter_set, crcl_ml_min=crcl),
        ka_per_h=ka,
        cl_l_per_h=cl,
        v_l=v,
        rates=(k, ka),
        coefficients=(a, -a),
        micro={"k_per_h": k},
    )


def _rhs(model: IndividualModel) -> tuple[Callable[[float, np.ndarray], list[float]], int]:
    ka = model.ka_per_h
    if model.parameter_set.structure == "one_compartment":
        k = model.cl_l_per_h / model.v_l

        def one(_: float, y: np.ndarray) -> list[float]:
            return [-ka * y[0], ka * y[0] - k * y[1]]

        return one, 2
    k10 = model.cl_l_per_h / model.v_l
    k12, k21 = model.micro["k12_per_h"], model.micro["k21_per_h"]

    def two(_: float, y: np.ndarray) -> list[float]:
        return [-ka * y[0], ka * y[0] - (k10 + k12) * y[1] + k21 * y[2], k12 * y[1] - k21 * y[2]]

    return two, 3


def ode_concentrations(
    model: IndividualModel, dose_times: np.ndarray, amounts_mg: np.ndarray, sample_times: np.ndarray
) -> np.ndarray:
    """Integrate the compartment ODEs with scipy (LSODA, rtol 1e-12) from dose to dose; ng/mL at samples.

    Written from the micro-constants, not from the closed form, so it checks the superposition itself.
    """
    rhs, size = _rhs(model)
    state = np.zeros(size)
    out = np.zeros(len(sample_times))
    bounds = [*list(dose_times), float(sample_times[-1]) + 1.0]
    previous = 0.0
    for index, end in enumerate(bounds):
        chosen = (sample_times >= previous) & (sample_times < end)
        if end > previous:
            solution = solve_ivp(
                rhs, (previous, end), state, method="LSODA", rtol=1e-12, atol=1e-15, dense_output=True
            )
            if chosen.any():
                out[chosen] = solution.sol(sample_times[chosen])[1] / model.v_l * 1000.0
            state = solution.y[:, -1].copy()
        if index < len(dose_times):
            state[0] += amounts_mg[index]
        previous = end
    return out


@pytest.fixture(scope="session")
def drawn_subject() -> Callable[[ParameterSet, float, float, float, float], IndividualModel]:
    """A drawn population subject as a model for the closed-form engine, as a callable."""
    return _drawn_subject


@pytest.fixture(scope="session")
def ode() -> OdeReference:
    """The independent ODE reference as a callable."""
    return ode_concentrations
