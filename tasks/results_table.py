"""The README's results section, regenerated from the metrics files: what this pipeline
measured, next to what the paper reports (as reference, not as a claim of reproduction).

`update_readme` rewrites only the text between the two markers below, atomically.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from reporting.result_rows import (
    ablation_table,
    headline_sentences,
    metric_columns,
    result_header,
    result_rows,
)
from simgan_core.atomic import atomic_write_text
from simgan_core.domain import get_domain

START_MARKER = "<!-- results:start -->"
END_MARKER = "<!-- results:end -->"

PAPER = ("Shrivastava et al., \"Learning from Simulated and Unsupervised Images through "
         "Adversarial Training\", CVPR 2017, arXiv 1612.07828")

# The paper's tables, values exactly as in reference/simgan-paper.md (arXiv v1).
PAPER_TABLES: dict[str, list[tuple[str, list[str], list[list[str]]]]] = {
    "gaze": [
        ("Table 2: gaze on MPIIGaze, percentage of images within 7 degrees",
         ["training data", "within 7 deg"],
         [["synthetic", "62.3"], ["synthetic 4x", "64.9"], ["refined", "69.4"],
          ["refined 4x", "87.2"]]),
        ("Table 3: gaze on MPIIGaze, mean angular error",
         ["method", "trained on", "error (deg)"],
         [["SVR / ALR / RF", "real", "16.5 / 16.4 / 15.4"],
          ["CNN with UT Multiview", "real", "13.9"],
          ["k-NN with UnityEyes", "synthetic", "9.9"],
          ["CNN with UnityEyes synthetic", "synthetic", "11.2"],
          ["CNN with UnityEyes refined", "refined", "7.8"]]),
    ],
    "hand": [
        ("Table 4: hand pose on NYU, percentage of joints within 5 pixels",
         ["training data", "within 5 px"],
         [["synthetic", "69.7"], ["refined", "72.4"], ["real", "74.5"],
          ["synthetic 3x", "77.7"], ["refined 3x", "83.3"]]),
    ],
}

STAND_IN_LINE = (
    "> The default run uses the built-in simulator and the **stand-in real domain** "
    "(see the top of this README), not the public datasets: these numbers show the "
    "pipeline at work on its own data and are not a reproduction of the paper's figures. "
    "`real_oracle` is trained on the real images' labels, which a SimGAN user does not "
    "have: it is an upper bound, not a competing method.")


def md_cell(text: str) -> str:
    """Text safe inside a Markdown table cell: no raw pipes, HTML or line breaks."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("|", "\\|").replace("\n", " "))


def md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table, every cell escaped."""
    lines = ["| " + " | ".join(md_cell(h) for h in header) + " |",
             "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON ({e})") from None


HAND_STAND_IN_LINE = (
    "> The default run uses the built-in hand simulator and the **stand-in real Kinect** "
    "(NYU's file layout, not NYU's data). Distances are in pixels at the paper's 224 x 224 "
    "crop scale (our crops are smaller: distances are rescaled), 14 joints per crop. "
    "`real_oracle` is an upper bound trained on real labels.")


def _paper_reference(domain: str) -> list[str]:
    parts = [f"For reference, what the paper reports on the public datasets ({PAPER}; "
             "numbers as in the arXiv v1 text):"]
    for caption, header, rows in PAPER_TABLES.get(domain, []):
        parts += [f"*{caption}*", md_table(header, rows)]
    return parts


def hand_results_markdown(metrics_dir: Path) -> list[str]:
    """The hand-pose part of the results section from `metrics_dir`/evaluate.json: our
    table, the share of the gap refinement closed, the paper's Table 4 next to it."""
    evaluate_file = metrics_dir / "evaluate.json"
    evaluation = _read_json(evaluate_file)
    columns = metric_columns(get_domain("hand").metrics)
    n = evaluation.get("real_test_n")
    tested = f"{n} held-out real test crops" if isinstance(n, int) else "the real test set"
    parts = [
        "### Hand pose",
        HAND_STAND_IN_LINE,
        f"Measured by `dvc repro` (`{evaluate_file.as_posix()}`): hourglass estimators "
        f"trained on each set, tested on {tested}; mean ± std over seeds.",
        md_table(result_header(columns), result_rows(evaluation, columns)),
    ]
    parts += [f"**{sentence}**" for sentence in headline_sentences(evaluation)]
    for caption, header, rows in PAPER_TABLES["hand"]:
        parts += [f"*{caption} (the paper, on the public data: for reference)*",
                  md_table(header, rows)]
    return parts


def ceiling_markdown(ceiling_file: Path) -> list[str]:
    """What a perfect refiner would reach, from experiments.ceiling's JSON (either domain)."""
    c = _read_json(ceiling_file)
    domain, pipe = c["domain"], c["pipeline"]
    seeds = ", ".join(f"{e:.2f}" for e in c["perfect_refined_per_seed"])
    if "perfect_refined_over_synthetic" in c:  # the domain's headline is a ratio
        reached = (f"**{c['perfect_refined']:.2f} deg** mean error (seeds: {seeds}), "
                   f"**{c['perfect_refined_over_synthetic']:.3f}** times the "
                   f"{pipe['synthetic']:.2f} deg of the synthetic estimator it was compared "
                   f"with (refined: {pipe['refined']:.2f}, real_oracle: "
                   f"{pipe['real_oracle']:.2f})")
    else:
        closed = c["perfect_refined_gap_closed"]
        reached = (f"**{c['perfect_refined']:.1f}%** of joints within 5 px (seeds: {seeds}), "
                   f"closing **{'n/a' if closed is None else f'{closed:.3f}'}** of the gap "
                   f"from synthetic ({pipe['synthetic']:.1f}) to real_oracle "
                   f"({pipe['real_oracle']:.1f}) it was compared with (refined: "
                   f"{pipe['refined']:.1f})")
    return [
        f"#### How far a perfect refiner could go (`{ceiling_file.as_posix()}`)",
        f"`python -m experiments.ceiling --domain {domain}` trains the same estimator, with "
        f"the same budget and seeds, on {c['n_train']} synthetic scenes rendered by the "
        f"stand-in camera itself: what a perfect refiner would output. On real_test it "
        f"reaches {reached}. That is the ceiling of any refiner of this corpus at this "
        f"estimator budget.",
    ]


def label_shift_floor_markdown(floor_file: Path) -> list[str]:
    """How far a perfect refiner moves the label judge, from
    experiments.label_shift_floor's JSON (either domain)."""
    f = _read_json(floor_file)
    domain, metric, pipe = f["domain"], f["metric"], f["pipeline"]
    seeds = ", ".join(f"seed {k}: {v:.2f}" for k, v in sorted(pipe["per_seed"].items()))
    return [
        f"#### How far a perfect refiner moves the label judge (`{floor_file.as_posix()}`)",
        f"`python -m experiments.label_shift_floor --domain {domain}` renders "
        f"{f['n_pairs']} scenes twice, by the simulator and by the stand-in camera (the same "
        f"geometry and label), and reads the refiner stage's own judge on both: a perfect "
        f"refiner's `{metric}` is **{f['perfect_refiner']:.2f}**, against the pipeline's refiners' "
        f"{pipe['published']:.2f} published ({seeds}). The judge learns synthetic "
        f"appearance only, so this figure mixes a moved label with the judge meeting real "
        f"appearance; a refiner below the perfect one's figure is not shown to keep labels "
        f"better than it, only to change the appearance less.",
    ]


def c2st_power_markdown(power_file: Path) -> list[str]:
    """The realism judge at several training lengths, from experiments.c2st_power's JSON
    (either domain): one row per set, one column per length."""
    f = _read_json(power_file)
    steps = [str(k) for k in f["steps"]]
    rows = [[name.replace("_", " "), *(f"{by_steps[k]:.3f}" for k in steps)]
            for name, by_steps in f["c2st"].items()]
    return [
        f"#### How long the realism judge trains (`{power_file.as_posix()}`)",
        f"`python -m experiments.c2st_power --domain {f['domain']}` reads the stage's C2ST "
        f"judge ({f['n_per_set']} images a set against unlabeled real_train images; 0.5 = "
        f"indistinguishable) after each number of training steps; the stage uses "
        f"{f['stage_c2st_steps']}. The perfect refiner is the stand-in camera's own view of "
        f"other synthetic scenes: what a refiner that changed the appearance exactly as "
        f"the camera does would score (a refiner a little below it is within the judge's "
        f"noise, or matches real_train in more than appearance).",
        md_table(["set", *(f"{k} steps" for k in steps)], rows),
    ]


def _ceiling_parts(ceiling_dir: Path | None, domain: str) -> list[str]:
    if ceiling_dir is None:
        return []
    parts = []
    for name, markdown in (("ceiling", ceiling_markdown),
                           ("label_shift_floor", label_shift_floor_markdown),
                           ("c2st_power", c2st_power_markdown)):
        path = ceiling_dir / f"{domain}_{name}.json"
        parts += markdown(path) if path.exists() else []
    return parts


def results_markdown(metrics_dir: Path, domain: str,
                     hand_metrics_dir: Path | None = None,
                     ceiling_dir: Path | None = None) -> str:
    """The results section (Markdown) from `metrics_dir`/evaluate.json and, when present,
    ablations.json: our table, the refined/synthetic ratio, the stand-in note, the
    paper's tables for reference and the ablation table; then, when
    `hand_metrics_dir`/evaluate.json exists, the hand-pose rows next to Table 4. After
    each domain, its perfect-refiner ceiling when `ceiling_dir`/<domain>_ceiling.json
    exists (python -m experiments.ceiling)."""
    evaluate_file = metrics_dir / "evaluate.json"
    if not evaluate_file.exists():
        raise FileNotFoundError(f"{evaluate_file} not found: run the evaluate stage first")
    evaluation = _read_json(evaluate_file)
    columns = metric_columns(get_domain(domain).metrics)
    n = evaluation.get("real_test_n")
    tested = f"{n} held-out real test images" if isinstance(n, int) else "the real test set"
    parts = [
        "## Results",
        STAND_IN_LINE,
        f"Measured by `dvc repro` (`{evaluate_file.as_posix()}`): estimators trained on each "
        f"set, tested on {tested}; mean ± std over seeds.",
        md_table(result_header(columns), result_rows(evaluation, columns)),
    ]
    parts += [f"**{sentence}**" for sentence in headline_sentences(evaluation)]
    parts += _paper_reference(domain)
    ablations_file = metrics_dir / "ablations.json"
    if ablations_file.exists():
        parts += [f"### Ablations (`{ablations_file.as_posix()}`)",
                  md_table(*ablation_table(_read_json(ablations_file)))]
    parts += _ceiling_parts(ceiling_dir, domain)
    if hand_metrics_dir is not None and (hand_metrics_dir / "evaluate.json").exists():
        parts += hand_results_markdown(hand_metrics_dir)
        parts += _ceiling_parts(ceiling_dir, "hand")
    return "\n\n".join(parts) + "\n"


def update_readme(readme: Path, markdown: str) -> bool:
    """Replace the text between the results markers of `readme` with `markdown`
    (atomically); return whether the file changed. Missing or misordered markers are an
    error naming the file."""
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(START_MARKER), text.find(END_MARKER)
    if start < 0 or end < 0 or end < start or text.count(START_MARKER) != 1 \
            or text.count(END_MARKER) != 1:
        raise ValueError(f"{readme}: needs exactly one {START_MARKER} followed by one "
                         f"{END_MARKER}")
    new = (text[:start + len(START_MARKER)] + "\n" + markdown.strip("\n") + "\n"
           + text[end:])
    if new == text:
        return False
    atomic_write_text(readme, new)
    return True

