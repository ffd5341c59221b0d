"""The `simgan` command line: the human entry point and every DVC stage's cmd.

    simgan run STAGE [--domain D]    run one DVC stage's flow with params.yaml
                                     (simulate, ingest, train-refiner, ...: --domain)
    simgan simulate eyes ...         render UnityEyes-format synthetic eyes
    simgan simulate real-eyes ...    write the stand-in real camera (MPIIGaze layout)
    simgan simulate hands ...        render synthetic hand depth (NYU synthdepth layout)
    simgan simulate real-hands ...   write the stand-in real Kinect (NYU depth layout)
    simgan server status|stop        the shared local Prefect server
    simgan ablate list|run|collect   ablations as DVC experiments
    simgan results                   the README's results table, from the metrics files
    simgan serve                     run the scheduled regeneration (dvc pull, repro, push)

Heavy imports (prefect, torch, GX) happen inside the commands, after the offline
environment and the Prefect API are set: Prefect reads its settings on import.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.offline import set_offline_env

if TYPE_CHECKING:
    from tasks.params import Params

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="A sim-to-real data pipeline built on SimGAN.")
simulate_app = typer.Typer(no_args_is_help=True, help="Run a built-in simulator.")
server_app = typer.Typer(no_args_is_help=True, help="The shared local Prefect server.")
ablate_app = typer.Typer(no_args_is_help=True, help="Ablations, as DVC experiments.")
app.add_typer(ablate_app, name="ablate")
app.add_typer(simulate_app, name="simulate")
app.add_typer(server_app, name="server")

# Every stage is written once for every domain (`simgan run STAGE --domain NAME`): stage
# name -> (flow module with a `run(cfg, domain)` entry point, params section keyed by domain)
DOMAIN_STAGES: dict[str, tuple[str, str]] = {
    "simulate": ("flows.simulate", "simulate"),
    "ingest": ("flows.ingest", "ingest"),
    "ingest-unlabeled": ("flows.ingest", "ingest_unlabeled"),  # no real_test: its own outs
    "train-refiner": ("flows.train_refiner", "train_refiner"),
    "refine": ("flows.refine", "refine"),
    "train-estimator": ("flows.train_estimator", "train_estimator"),
    "evaluate": ("flows.evaluate", "evaluate"),
    "report": ("flows.report", "report"),
}

# Options every simulate command takes.
SeedOption = Annotated[int, typer.Option(help="random seed; same seed, same bytes")]
WorkersOption = Annotated[int, typer.Option(help="processes; 0 = all cores")]
DaskOption = Annotated[str | None, typer.Option(
    help="a Dask scheduler (tcp://host:8786) to render on instead")]


def _run_flow(module: str, cfg: object, domain: str) -> None:
    """Run the flow module's `run(cfg, domain)` through `_run_entry`."""
    def entry() -> object:
        return importlib.import_module(module).run(cfg, domain)

    _run_entry(module.rsplit(".", 1)[-1], entry)


def _simulate(domain: str, role: str, cfg: object, workers: int,
              dask_address: str | None) -> None:
    """One of a domain's simulators (flows/simulate.py), outside the pipeline's params."""
    def entry() -> object:
        from flows.simulate import run_simulators

        return run_simulators(domain, {role: cfg}, workers, dask_address)

    _run_entry(f"simulate {domain} {role}", entry)


def _run_entry(label: str, entry: Callable[[], object]) -> None:
    """Point at a Prefect API, then call `entry` (imports happen after: Prefect reads its
    settings on import); a failure exits 1 with its message (the flow's log has the
    traceback)."""
    from flows.local_server import ensure_prefect_api

    set_offline_env()
    ensure_prefect_api()
    try:
        entry()
    except Exception as err:
        typer.echo(f"error: {label} failed: {err}", err=True)
        raise typer.Exit(1) from None


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@app.command()
def run(
    stage: Annotated[str, typer.Argument(help=f"one of: {', '.join(DOMAIN_STAGES)}")],
    domain: Annotated[str, typer.Option(help="the domain (a block of the stage's section)")],
    params: Annotated[Path, typer.Option(help="the params file")] = Path("params.yaml"),
) -> None:
    """Run one pipeline stage (what dvc.yaml calls) for one domain, with its params.yaml
    block."""
    if stage not in DOMAIN_STAGES:
        raise _fail(f"unknown stage {stage!r}; known: {', '.join(DOMAIN_STAGES)}")
    cfg = _params(params)
    from simgan_core.domain import domain_names

    if unknown := cfg.unknown_domains(domain_names()):
        raise _fail(f"{params}: {', '.join(unknown)}: unknown domain; "
                    f"known: {sorted(domain_names())}")
    module, section = DOMAIN_STAGES[stage]
    try:
        stage_cfg = cfg.stage_config(section, domain)
    except ValueError as err:
        raise _fail(str(err)) from None
    _run_flow(module, stage_cfg, domain)


@simulate_app.command("eyes")
def simulate_eyes(
    n: Annotated[int, typer.Option(help="number of images")],
    seed: SeedOption,
    out: Annotated[Path, typer.Option(help="output folder (gets imgs/)")],
    width: int = 320,
    height: int = 240,
    jpeg_quality: int = 95,
    workers: WorkersOption = 0,
    dask_address: DaskOption = None,
) -> None:
    """Render UnityEyes-format eye images: OUT/imgs/1.jpg, 1.json, ..."""
    from tasks.params_sources import SimulateEyes

    cfg = SimulateEyes(out_dir=str(out), n=n, seed=seed, width=width, height=height,
                       jpeg_quality=jpeg_quality)
    _simulate("gaze", "synthetic", cfg, workers, dask_address)


@simulate_app.command("real-eyes")
def simulate_real_eyes(
    subjects: Annotated[int, typer.Option(help="number of people (p00, p01, ...)")],
    per_subject: Annotated[int, typer.Option(help="evaluation-subset eye images per person")],
    seed: SeedOption,
    out: Annotated[Path, typer.Option(help="output root (gets Data/ and Evaluation Subset/)")],
    workers: WorkersOption = 0,
    dask_address: DaskOption = None,
) -> None:
    """Write the stand-in real camera in the MPIIGaze layout."""
    from tasks.params_sources import SimulateRealEyes

    cfg = SimulateRealEyes(out_dir=str(out), subjects=subjects, per_subject=per_subject,
                           seed=seed)
    _simulate("gaze", "real", cfg, workers, dask_address)


@simulate_app.command("hands")
def simulate_hands(
    n: Annotated[int, typer.Option(help="number of frames")],
    seed: SeedOption,
    out: Annotated[Path, typer.Option(help="output folder (gets train/)")],
    workers: WorkersOption = 0,
    dask_address: DaskOption = None,
) -> None:
    """Render synthetic hand depth: OUT/train/synthdepth_1_NNNNNNN.png + joint_data.mat."""
    from tasks.params_sources import SimulateHands

    cfg = SimulateHands(out_dir=str(out), n=n, seed=seed)
    _simulate("hand", "synthetic", cfg, workers, dask_address)


@simulate_app.command("real-hands")
def simulate_real_hands(
    n: Annotated[int, typer.Option(help="number of frames, both splits together")],
    seed: SeedOption,
    out: Annotated[Path, typer.Option(help="output folder (gets train/ and test/)")],
    test_fraction: Annotated[float, typer.Option(
        help="share of the frames in test/ (subjects never in train/)")] = 0.3,
    workers: WorkersOption = 0,
    dask_address: DaskOption = None,
) -> None:
    """Write the stand-in real Kinect: OUT/{train,test}/depth_1_NNNNNNN.png + joint_data.mat."""
    from tasks.params_sources import SimulateRealHands

    cfg = SimulateRealHands(out_dir=str(out), n=n, test_fraction=test_fraction, seed=seed)
    _simulate("hand", "real", cfg, workers, dask_address)


def _params(path: Path) -> Params:
    from tasks.params import load_params
    from tasks.params_file import ParamsError

    try:
        return load_params(path)
    except ParamsError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None


@ablate_app.command("list")
def ablate_list(params: Path = Path("params.yaml")) -> None:
    """Print each ablation and the one command that reproduces it."""
    from flows.ablations import describe, exp_run_command

    for name, overrides in _params(params).ablations_gaze.experiments.items():
        typer.echo(f"{name}: {describe(overrides)}\n  {' '.join(exp_run_command(name, overrides))}")


@ablate_app.command("run")
def ablate_run(
    names: Annotated[list[str] | None, typer.Argument(help="ablations to run; none = all")] = None,
    params: Path = Path("params.yaml"),
) -> None:
    """Run ablations as DVC experiments, one after the other, then collect them."""
    from flows.ablations import collect, run_ablation

    cfg = _params(params).ablations_gaze
    unknown = sorted(set(names or []) - set(cfg.experiments))
    if unknown:
        typer.echo(f"error: unknown ablation(s) {unknown}; known: {sorted(cfg.experiments)}",
                   err=True)
        raise typer.Exit(2)
    for name in names or list(cfg.experiments):
        run_ablation(name, cfg.experiments[name], Path.cwd())
    collect(cfg.experiments, cfg.metrics_dir, Path(cfg.out_file), Path.cwd())


@ablate_app.command("collect")
def ablate_collect(params: Path = Path("params.yaml")) -> None:
    """Write ablations.json from the experiments that exist."""
    from flows.ablations import collect

    cfg = _params(params).ablations_gaze
    rows = collect(cfg.experiments, cfg.metrics_dir, Path(cfg.out_file), Path.cwd())
    typer.echo(f"{cfg.out_file}: {len(rows)} rows ({', '.join(rows)})")


@app.command()
def results(
    readme: Path = Path("README.md"),
    metrics_dir: Path = Path("metrics/gaze"),
    hand_metrics_dir: Annotated[Path, typer.Option(
        help="hand rows (next to the paper's Table 4) when its evaluate.json exists")
    ] = Path("metrics/hand"),
    ceiling_dir: Annotated[Path, typer.Option(
        help="<domain>_ceiling.json and <domain>_label_shift_floor.json from the "
             "experiments (python -m experiments.ceiling, .label_shift_floor), when they exist")
    ] = Path("experiments/results"),
) -> None:
    """Regenerate the README's results section from the metrics files."""
    from tasks.results_table import results_markdown, update_readme

    changed = update_readme(readme, results_markdown(metrics_dir, "gaze",
                                                     hand_metrics_dir=hand_metrics_dir,
                                                     ceiling_dir=ceiling_dir))
    typer.echo(f"{readme}: {'updated' if changed else 'already up to date'}")


@app.command()
def serve(
    repo_dir: Annotated[Path, typer.Option(help="the DVC workspace to regenerate")] = Path("."),
    params: Annotated[Path | None, typer.Option(
        help="params file with an optional `regenerate` section (cron, timezone); "
             "default: REPO_DIR/params.yaml")] = None,
    cron: Annotated[str | None, typer.Option(
        help="cron schedule; default: params' regenerate.cron, else '0 3 * * *'")] = None,
    timezone: Annotated[str | None, typer.Option(
        help="IANA timezone of the schedule; default: params' regenerate.timezone, else UTC")
    ] = None,
    name: Annotated[str, typer.Option(help="deployment name: regenerate/NAME")] = "served",
) -> None:
    """Serve the scheduled regeneration (dvc pull, repro, push) from this process."""
    set_offline_env()
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():  # from the environment or the active Prefect profile
        typer.echo("error: set PREFECT_API_URL to a Prefect server that runs its services "
                   "(`prefect server start`): its scheduler creates the scheduled runs, and "
                   "the stages' shared local server runs without services", err=True)
        raise typer.Exit(2)
    from flows.regenerate import DEFAULT_CRON, DEFAULT_TIMEZONE, cron_schedule
    from flows.regenerate import serve as serve_regenerate

    section = getattr(_params(params or repo_dir / "params.yaml"), "regenerate", None)
    try:
        schedule = cron_schedule(
            cron or (section.cron if section else DEFAULT_CRON),
            timezone or (section.timezone if section else DEFAULT_TIMEZONE))
    except ValueError as err:
        typer.echo(f"error: bad schedule: {err}", err=True)
        raise typer.Exit(2) from None
    serve_regenerate(repo_dir, schedule, name=name)


@server_app.command("status")
def server_status() -> None:
    """Print the shared local server's URL, or that none runs."""
    from flows.local_server import running_server

    state = running_server()
    if state:
        typer.echo(f"running at {state['api_url']} (supervisor pid {state['supervisor_pid']})")
    else:
        typer.echo("not running")


@server_app.command("stop")
def server_stop() -> None:
    """Stop the shared local server now (it also stops by itself when idle)."""
    from flows.local_server import stop_server

    typer.echo("stopped" if stop_server() else "not running")


def main() -> None:
    app(prog_name="simgan")


if __name__ == "__main__":
    sys.exit(main())
