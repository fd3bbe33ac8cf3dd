"""`dosewise simulate`: the JSON contract, refusals with exit codes, plots, populations and a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dosewise.cli.main import main

DOSEWISE = Path(sys.executable).parent / "dosewise"


def _json(capsys, *argv: str) -> dict:
    code = main(["simulate", *argv, "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def _plan_file(tmp_path: Path) -> Path:
    plan = {
        "format": "dosewise.plan/1",
        "drug": "baclofen",
        "kind": "titration",
        "timezone": "Europe/Paris",
        "steps": [
            {"start": "2026-03-20", "days": 3, "dose": "5 mg", "times_per_day": 3},
            {"days": 3, "dose": "10 mg", "times_per_day": 3},
            {"days": 3, "dose": "15 mg", "times_per_day": 3},
            {"days": 3, "dose": "20 mg", "times_per_day": 3},
        ],
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    return path


def test_a_single_dose_reports_parameters_with_sources_and_auc_to_infinity(capsys) -> None:
    """--single prints ka, CL/F and V/F with their source, Cmax, tmax and AUC 0-inf = dose / CL/F."""
    payload = _json(capsys, "baclofen", "--dose", "20 mg", "--single", "--start", "2026-01-10")
    assert payload["kb_version"] == "2026.11.0"
    for key in ("ka_per_h", "cl_l_per_h", "v_l"):
        assert payload[key]["source"].startswith("Simon N et al.")
        assert payload[key]["source_ids"] == ["simon_2018"]
    assert payload["ka_per_h"]["value"] == 1.64
    assert payload["auc_basis"] == "0-inf"
    assert payload["auc_ng_h_ml"] == pytest.approx(20 / 11.6 * 1000, rel=1e-3)
    assert payload["cmax_ng_ml"] == pytest.approx(213.8, rel=1e-3)
    assert payload["tmax_h"] == pytest.approx(1.575, rel=1e-3)
    assert payload["units"]["concentration"] == "ng/mL"


def test_a_plan_file_reports_auc_per_day_and_steady_state(capsys, tmp_path) -> None:
    """A plan gives one AUC per calendar day, steady state, and exposure against the reference kidney."""
    payload = _json(capsys, "baclofen", "--plan", str(_plan_file(tmp_path)))
    assert payload["auc_basis"] == "per_day"
    assert len(payload["auc_ng_h_ml"]) == 12
    assert payload["auc_ng_h_ml"][-1] > payload["auc_ng_h_ml"][0]
    assert payload["steady_state"]["hours_to_90_percent"] > 0
    assert payload["exposure_ratio_vs_reference"]["auc"] == 1.0


def test_a_patient_with_weak_kidneys_raises_exposure_and_says_so(capsys, tmp_path) -> None:
    """CrCl 25 mL/min from the patient file lowers CL/F, raises exposure and warns of extrapolation."""
    patient = tmp_path / "patient.toml"
    patient.write_text('crcl_ml_min = 25\ntimezone = "Europe/Paris"\n')
    payload = _json(capsys, "baclofen", "--plan", str(_plan_file(tmp_path)), "--patient", str(patient))
    assert payload["kidney"]["crcl_ml_min"] == 25
    assert payload["cl_l_per_h"]["value"] < payload["cl_l_per_h"]["reference_value"]
    assert payload["exposure_ratio_vs_reference"]["steady_state_auc"] > 2
    assert any("below 30" in warning for warning in payload["warnings"])


def test_a_dialysis_patient_is_refused_with_exit_code_3(capsys, tmp_path) -> None:
    """Dialysis has no sourced model: exit 3 and a JSON error naming the reason."""
    patient = tmp_path / "patient.toml"
    patient.write_text("dialysis = true\n")
    code = main(["simulate", "baclofen", "--dose", "5 mg", "--single", "--patient", str(patient), "--json"])
    captured = capsys.readouterr()
    assert code == 3
    assert json.loads(captured.out)["error"]["code"] == "simulation_refused"
    assert "dialysis" in captured.err


def test_a_dose_without_a_unit_or_a_frequency_is_refused_with_exit_code_2(capsys) -> None:
    """'10' has no unit, and --dose alone has no frequency: both are invalid input."""
    assert main(["simulate", "baclofen", "--dose", "10", "--single"]) == 2
    assert main(["simulate", "baclofen", "--dose", "10 mg"]) == 2
    assert "--times-per-day" in capsys.readouterr().err


@pytest.mark.parametrize("population", [[], ["--population", "10"]])
def test_a_plan_for_another_drug_is_refused_with_exit_code_2(capsys, tmp_path, population) -> None:
    """A baclofen plan simulated as tizanidine is refused, for one person and for a population alike."""
    code = main(["simulate", "tizanidine", "--plan", str(_plan_file(tmp_path)), "--no-progress", *population])
    assert code == 2
    assert "the plan is for baclofen, not tizanidine" in capsys.readouterr().err


def test_the_two_compartment_model_can_be_chosen(capsys) -> None:
    """--model kochak1985 reports Kochak's CL/F and the borrowed ka marked derived."""
    payload = _json(
        capsys, "baclofen", "--dose", "10 mg", "--times-per-day", "3", "--days", "2", "--model", "kochak1985"
    )
    assert payload["model"]["structure"] == "two_compartment"
    assert payload["cl_l_per_h"]["value"] == pytest.approx(10.8)
    assert payload["ka_per_h"]["confidence"] == "derived"
    assert "micro_constants_per_h" in payload


def test_a_dose_history_simulates_what_was_taken(capsys, tmp_path) -> None:
    """A history with an extra dose gives a higher first-day AUC than the same history without it."""
    doses = [
        {"at": "2026-01-10T08:00:00+01:00", "dose": "10 mg"},
        {"at": "2026-01-10T14:00:00+01:00", "dose": "10 mg"},
    ]
    history = tmp_path / "history.json"
    history.write_text(json.dumps({"timezone": "Europe/Paris", "doses": doses}))
    base = _json(capsys, "baclofen", "--history", str(history))
    history.write_text(
        json.dumps(
            {
                "timezone": "Europe/Paris",
                "doses": [*doses, {"at": "2026-01-10T15:00:00+01:00", "dose": "10 mg"}],
            }
        )
    )
    extra = _json(capsys, "baclofen", "--history", str(history))
    assert extra["auc_ng_h_ml"][0] > base["auc_ng_h_ml"][0]


def test_a_population_is_reproducible_for_a_seed(capsys) -> None:
    """The same seed gives the same percentiles; the JSON carries p5, p50, p95 and the fraction above."""
    argv = [
        "baclofen",
        "--dose",
        "20 mg",
        "--times-per-day",
        "3",
        "--days",
        "3",
        "--population",
        "200",
        "--seed",
        "4",
        "--crcl-range",
        "30-120",
        "--resolution",
        "0.5",
    ]
    first = _json(capsys, *argv)["population"]
    again = _json(capsys, *argv)["population"]
    assert first == again
    assert set(first["percentiles_ng_ml"]) == {"p5", "p50", "p95"}
    late = len(first["t_h"]) - 1
    p = first["percentiles_ng_ml"]
    assert p["p5"][late] < p["p50"][late] < p["p95"][late]
    assert first["subjects"] == 200


def test_a_plot_file_is_written(capsys, tmp_path) -> None:
    """--plot writes the figure and the JSON names the file."""
    target = tmp_path / "levels.svg"
    payload = _json(
        capsys, "baclofen", "--dose", "10 mg", "--times-per-day", "3", "--days", "2", "--plot", str(target)
    )
    assert payload["plot"] == str(target)
    assert "<svg" in target.read_text()


def test_the_installed_command_runs_in_a_real_process(tmp_path) -> None:
    """`dosewise simulate` as installed prints text, writes a PNG population band and exits 0."""
    target = tmp_path / "band.png"
    completed = subprocess.run(
        [
            str(DOSEWISE),
            "simulate",
            "baclofen",
            "--dose",
            "10 mg",
            "--times-per-day",
            "3",
            "--days",
            "2",
            "--population",
            "100",
            "--seed",
            "1",
            "--plot",
            str(target),
            "--progress",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "100 virtual subjects" in completed.stdout
    assert "simulating [" in completed.stderr
    assert target.read_bytes()[:4] == b"\x89PNG"


def test_importing_the_command_does_not_import_numpy_or_matplotlib() -> None:
    """Heavy libraries load inside run(), so other commands keep their start-up budget."""
    code = "import sys, dosewise.cli.main as m; m.build_parser(); print('numpy' in sys.modules, 'matplotlib' in sys.modules)"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "False False"
