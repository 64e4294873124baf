#!/usr/bin/env python3
"""Regenerates the results table (docs/results.md, docs/results.csv) and the shipped weights (weights/).

    swift build -c release
    python3 scripts/results.py                      # every recipe marked `# status: run`, 3 seeds each
    python3 scripts/results.py --only lenet,cnn     # some models' `run` recipes; a recipe name runs it whatever its status
    python3 scripts/results.py --table-only         # rewrite the table from the runs already on disk
    python3 scripts/results.py --weights            # also copy each row's best seed to weights/

Each recipe is configs/results/MODEL_DATASET.yaml; its first line says `# status: run` or
`# status: not run here (why)`. A row trains `zoo train RECIPE --seed S --out runs/results/MODEL_DATASET/seed-S`
for S = 1, 2, 3 under `/usr/bin/time -v` with OMP_NUM_THREADS = --threads; a seed whose metrics.csv already
has every epoch is not trained again. The table gives the final epoch's test accuracy (mean and sample
standard deviation over the seeds: no epoch is picked by its test accuracy), the parameters and MACs per
image (`zoo summary --json`), the epochs, the training time (the epochs' training loops, from metrics.csv),
the mean training images/s, the whole command's wall time and peak resident memory (from time -v).

With --weights, the seed with the best final accuracy has its last.safetensors copied to
weights/MODEL_DATASET.safetensors without the optimizer state, its SHA-256 recorded in weights/manifest.json
(which `zoo` checks before loading `MODEL@DATASET`), and `zoo eval` run on the copy for the model card in
weights/README.md (overall and per-class accuracy, which must equal the table's figure for that seed).
ZOO_BIN (default .build/release/zoo) is the zoo to run; ZOO_DATA or --data-dir where MNIST is.
"""
import argparse
import csv
import datetime
import hashlib
import json
import os
import platform
import re
import statistics
import subprocess
import sys

import yaml
from safetensors import safe_open
from safetensors.numpy import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECIPES = os.path.join(ROOT, "configs", "results")
SEEDS = (1, 2, 3)
COLUMNS = ["model", "dataset", "status", "seeds", "accuracy_mean", "accuracy_std", "best_seed", "best_seed_accuracy",
           "params", "macs", "epochs", "train_seconds", "images_per_second", "wall_seconds", "peak_rss_mb", "threads",
           "machine", "recipe"]


def machine():
    model = "unknown CPU"
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return f"{model}, {os.cpu_count()} CPUs, {platform.system()} {platform.machine()}"


class Recipe:
    def __init__(self, path):
        self.path = path
        self.name = os.path.splitext(os.path.basename(path))[0]
        self.model, self.dataset = self.name.split("_", 1)
        with open(path) as file:
            text = file.read()
        first = text.splitlines()[0] if text else ""
        match = re.match(r"#\s*status:\s*(.*)", first)
        if not match:
            sys.exit(f"{path}:1: the first line must be `# status: run` or `# status: not run here (why)`")
        self.status = match.group(1).strip()
        self.runs = self.status == "run"
        config = yaml.safe_load(text)
        self.epochs = config.get("epochs", 1)
        model = config.get("model")
        self.parameters = {k: v for k, v in model.items() if k != "name"} if isinstance(model, dict) else {}
        # The row's accuracy is scored with the recipe's test-time augmentation, so its weights are evaluated with it.
        self.tta = ",".join(config.get("tta") or [])

    def run_folder(self, seed):
        return os.path.join(ROOT, "runs", "results", self.name, f"seed-{seed}")

    def metrics(self, seed):
        path = os.path.join(self.run_folder(seed), "metrics.csv")
        if not os.path.exists(path):
            return None
        with open(path) as file:
            rows = list(csv.DictReader(file))
        return rows if len(rows) >= self.epochs else None


def zoo_binary():
    return os.environ.get("ZOO_BIN", os.path.join(ROOT, ".build", "release", "zoo"))


def train(recipe, seed, threads, data_dir):
    folder = recipe.run_folder(seed)
    os.makedirs(folder, exist_ok=True)
    command = ["/usr/bin/time", "-v", "-o", os.path.join(folder, "time.txt"), zoo_binary(), "train", recipe.path,
               "--seed", str(seed), "--out", folder, "--quiet"]
    if data_dir:
        command += ["--data-dir", data_dir]
    print(f"== {recipe.name} seed {seed}: {' '.join(command[4:])}", flush=True)
    with open(os.path.join(folder, "train.log"), "w") as log:
        subprocess.run(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, check=True,
                       env=dict(os.environ, OMP_NUM_THREADS=str(threads)))


def time_figures(recipe, seed):
    """Wall seconds and peak RSS in MB from /usr/bin/time -v."""
    wall, peak = None, None
    with open(os.path.join(recipe.run_folder(seed), "time.txt")) as file:
        for line in file:
            line = line.strip()
            if line.startswith("Elapsed (wall clock) time"):
                parts = [float(p) for p in line.rsplit(" ", 1)[1].split(":")]
                wall = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
            elif line.startswith("Maximum resident set size"):
                peak = int(line.rsplit(" ", 1)[1]) / 1024
    return wall, peak


def size(recipe):
    command = [zoo_binary(), "summary", recipe.model, "--dataset", recipe.dataset, "--json"]
    for key, value in recipe.parameters.items():
        command += ["--set", f"{key}={value}"]
    summary = json.loads(subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout)
    return summary["total_params"], summary["macs"]


def recorded_rows():
    """docs/results.csv's rows by recipe, numbers parsed: the record of runs that may no longer be on disk."""
    path = os.path.join(ROOT, "docs", "results.csv")
    if not os.path.exists(path):
        return {}
    parsers = {"seeds": int, "accuracy_mean": float, "accuracy_std": float, "best_seed": int, "best_seed_accuracy": float,
               "params": int, "macs": int, "epochs": int, "train_seconds": float, "images_per_second": int,
               "wall_seconds": float, "peak_rss_mb": float, "threads": int}
    with open(path, newline="") as file:
        return {r["recipe"]: {k: parsers[k](v) if k in parsers and v != "" else v for k, v in r.items()}
                for r in csv.DictReader(file)}


def row(recipe, threads, host, recorded):
    """The row from the seeds on disk, or docs/results.csv's record of it when that has more seeds (runs/ is not kept)."""
    result = {"model": recipe.model, "dataset": recipe.dataset, "status": recipe.status, "epochs": recipe.epochs,
              "recipe": os.path.relpath(recipe.path, ROOT), "threads": threads, "machine": host}
    try:
        result["params"], result["macs"] = size(recipe)
    except (subprocess.CalledProcessError, json.JSONDecodeError, KeyError):
        result["params"], result["macs"] = "", ""
    finished = [(seed, recipe.metrics(seed)) for seed in SEEDS]
    finished = [(seed, rows) for seed, rows in finished if rows]
    result["seeds"] = len(finished)
    record = recorded.get(result["recipe"])
    if record and record.get("epochs") == recipe.epochs and (record.get("seeds") or 0) > len(finished):
        return dict(record, status=recipe.status, on_disk=False)
    if not finished:
        return result
    accuracies = [float(rows[recipe.epochs - 1]["test_accuracy"]) * 100 for _, rows in finished]
    best = max(range(len(finished)), key=lambda i: accuracies[i])
    times = [time_figures(recipe, seed) for seed, _ in finished]
    result.update({
        "accuracy_mean": round(statistics.mean(accuracies), 2),
        "accuracy_std": round(statistics.stdev(accuracies), 2) if len(accuracies) > 1 else 0.0,
        "best_seed": finished[best][0], "best_seed_accuracy": round(accuracies[best], 2),
        "train_seconds": round(statistics.mean(sum(float(r["seconds"]) for r in rows[:recipe.epochs]) for _, rows in finished), 1),
        "images_per_second": round(statistics.mean(statistics.mean(float(r["images_per_sec"]) for r in rows[:recipe.epochs])
                                                   for _, rows in finished)),
        "wall_seconds": round(statistics.mean(t[0] for t in times), 1),
        "peak_rss_mb": round(max(t[1] for t in times), 1),
    })
    return result


def write_table(rows, host, threads):
    os.makedirs(os.path.join(ROOT, "docs"), exist_ok=True)
    with open(os.path.join(ROOT, "docs", "results.csv"), "w", newline="") as file:
        writer = csv.DictWriter(file, COLUMNS)
        writer.writeheader()
        for r in rows:
            writer.writerow({k: f"{r[k]:.2f}" if k.startswith(("accuracy", "best_seed_acc")) and k in r else r.get(k, "") for k in COLUMNS})
    machines = " and ".join(sorted({r["machine"] for r in rows if r.get("seeds")} or {host}))
    notes_path = os.path.join(RECIPES, "NOTES.md")
    notes = open(notes_path).read().strip() + "\n\n" if os.path.exists(notes_path) else ""
    lines = ["# Results", "",
             "Generated by `python3 scripts/results.py` from the recipes in `configs/results/` (do not edit by hand; "
             "the same figures are in `docs/results.csv`, which `zoo list --results` reads).", "",
             f"Machine: {machines}; {threads} OpenMP thread(s) per run; the machine was shared with other jobs, "
             "so times are upper bounds (docs/results.csv names each row's machine). Accuracy: the final epoch's test accuracy, mean ± sample standard "
             "deviation over seeds 1-3 (no epoch chosen by its test accuracy). Time: the epochs' training loops; "
             "wall: the whole command (data loading, evaluation, checkpoints); memory: peak resident set (time -v).", "",
             "| model | dataset | test accuracy % | best seed % | params | MACs/image | epochs | train s | images/s | wall s | peak RSS MB | recipe |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        if r.get("seeds"):
            accuracy = f"{r['accuracy_mean']:.2f} ± {r['accuracy_std']:.2f}" + (f" ({r['seeds']} seeds)" if r["seeds"] != len(SEEDS) else "")
            best = f"{r['best_seed_accuracy']:.2f}"
            cells = [r["epochs"], r["train_seconds"], f"{r['images_per_second']:,}", r["wall_seconds"], r["peak_rss_mb"]]
        else:
            accuracy, best = ("not yet run" if r["status"] == "run" else r["status"]), ""
            cells = [r["epochs"], "", "", "", ""]
        params = f"{r['params']:,}" if r["params"] != "" else "-"
        macs = f"{r['macs']:,}" if r["macs"] != "" else "-"
        lines.append("| " + " | ".join(str(c) for c in [r["model"], r["dataset"], accuracy, best, params, macs] + cells
                                       + [f"[{os.path.basename(r['recipe'])}](../{r['recipe']})"]) + " |")
    with open(os.path.join(ROOT, "docs", "results.md"), "w") as file:
        file.write("\n".join(lines) + "\n\n" + notes)


def ship_weights(recipe, result, host):
    """Copies the best seed's last checkpoint to weights/ without optimizer state; returns its manifest entry and card."""
    source = os.path.join(recipe.run_folder(result["best_seed"]), "last.safetensors")
    target_name = f"{recipe.name}.safetensors"
    target = os.path.join(ROOT, "weights", target_name)
    with safe_open(source, framework="numpy") as file:
        metadata = {k: v for k, v in file.metadata().items() if k != "optimizer_steps"}
        tensors = {k: file.get_tensor(k) for k in file.keys() if not k.startswith("optimizer.")}
    save_file(tensors, target, metadata=metadata)
    with open(target, "rb") as file:
        digest = hashlib.sha256(file.read()).hexdigest()
    tta = ["--tta", recipe.tta] if recipe.tta else []
    evaluation = json.loads(subprocess.run([zoo_binary(), "eval", target, *tta, "--json"], cwd=ROOT, capture_output=True,
                                           text=True, check=True).stdout)
    accuracy = round(evaluation["accuracy"] * 100, 2)
    if accuracy != result["best_seed_accuracy"]:
        sys.exit(f"{target}: zoo eval gives {accuracy}% but the run recorded {result['best_seed_accuracy']}%")
    entry = {"file": target_name, "sha256": digest, "bytes": os.path.getsize(target), "test_accuracy": accuracy,
             "recipe": result["recipe"], "seed": result["best_seed"]}
    per_class = ", ".join(f"{name} {value * 100:.1f}%" for name, value in
                          zip(evaluation["class_names"], evaluation["per_class_accuracy"]))
    card = "\n".join([
        f"## {recipe.model}@{recipe.dataset}", "",
        f"- file: `{target_name}` ({entry['bytes']:,} bytes), SHA-256 `{digest}`",
        f"- recipe: [`{result['recipe']}`](../{result['recipe']}), seed {result['best_seed']} (the best final accuracy of seeds 1-3)",
        f"- reproduce: `zoo train {result['recipe']} --seed {result['best_seed']}` (then the run folder's last.safetensors)",
        f"- test accuracy: {accuracy:.2f}% ({evaluation['correct']}/{evaluation['total']}; `zoo eval {recipe.model}@{recipe.dataset}{' --tta ' + recipe.tta if recipe.tta else ''}`); "
        f"mean of 3 seeds {result['accuracy_mean']:.2f} ± {result['accuracy_std']:.2f}%",
        f"- per class: {per_class}",
        f"- trained: {datetime.date.today().isoformat()} on {host}, {result['threads']} thread(s)", ""])
    return entry, card


def shipped_cards():
    """weights/README.md's model cards by recipe name, so rows whose runs are gone keep theirs."""
    path = os.path.join(ROOT, "weights", "README.md")
    if not os.path.exists(path):
        return {}
    sections = re.split(r"^(?=## )", open(path).read(), flags=re.M)[1:]
    return {section.split("\n", 1)[0][3:].replace("@", "_", 1): section.rstrip("\n") + "\n" for section in sections}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated models (their `run` recipes) or recipe names such as "
                        "resnet20_fashion-mnist (whatever their status) to train; the table still lists every recipe")
    parser.add_argument("--table-only", action="store_true", help="train nothing; rewrite the table from runs on disk")
    parser.add_argument("--weights", action="store_true", help="copy each finished row's best seed to weights/")
    parser.add_argument("--threads", type=int, default=1, help="OMP_NUM_THREADS for each run (default 1)")
    parser.add_argument("--data-dir", help="passed to zoo train (default: ZOO_DATA, ./data, system folders)")
    args = parser.parse_args()
    host = machine()
    recipes = [Recipe(os.path.join(RECIPES, name)) for name in sorted(os.listdir(RECIPES)) if name.endswith(".yaml")]
    chosen = set(args.only.split(",")) if args.only else None
    if not args.table_only:
        for recipe in recipes:
            if (recipe.name in chosen or (recipe.model in chosen and recipe.runs)) if chosen else recipe.runs:
                for seed in SEEDS:
                    if recipe.metrics(seed) is None:
                        train(recipe, seed, args.threads, args.data_dir)
    recorded = recorded_rows()
    rows = [row(recipe, args.threads, host, recorded) for recipe in recipes]
    order = {"mnist": 0, "fashion-mnist": 1}
    rows.sort(key=lambda r: (order.get(r["dataset"], 2), not r.get("seeds"), -(r.get("accuracy_mean") or 0), r["model"]))
    write_table(rows, host, args.threads)
    if args.weights:
        manifest_path = os.path.join(ROOT, "weights", "manifest.json")
        os.makedirs(os.path.dirname(manifest_path), exist_ok=True)
        manifest = json.load(open(manifest_path)) if os.path.exists(manifest_path) else {}
        cards = shipped_cards()
        for recipe in recipes:
            result = next(r for r in rows if r["recipe"] == os.path.relpath(recipe.path, ROOT))
            if result.get("seeds") == len(SEEDS) and result.get("on_disk", True):
                manifest[f"{recipe.model}@{recipe.dataset}"], cards[recipe.name] = ship_weights(recipe, result, host)
        with open(manifest_path, "w") as file:
            json.dump(dict(sorted(manifest.items())), file, indent=2)
            file.write("\n")
        with open(os.path.join(ROOT, "weights", "README.md"), "w") as file:
            file.write("# Shipped weights\n\nPlain zoo checkpoints (no optimizer state) of the results table's best seeds, "
                       "written by `python3 scripts/results.py --weights`; `zoo eval MODEL@DATASET`, `zoo export MODEL@DATASET OUT` "
                       "and `zoo train --init-from MODEL@DATASET` find them through `manifest.json`, whose SHA-256 digests are "
                       "checked before a file is read. See docs/weights.md.\n\n" + "\n".join(cards[k] for k in sorted(cards)))
    print(f"wrote docs/results.md and docs/results.csv ({sum(1 for r in rows if r.get('seeds'))} rows with runs)")


if __name__ == "__main__":
    main()
