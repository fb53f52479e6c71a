"""The figures of docs/results.md, drawn from the metrics.json files of MNIST runs.

Run by `cargo xtask plots` (which creates the virtual environment); the runs come from
scripts/validation_sweeps.sh, each in its own folder under the runs directory:

- fid_vs_steps.png: runs `steps-T` (quantum model with T steps, the latent DDPMs sampled with T
  respaced ancestral steps and T DDIM steps);
- fid_vs_parameters.png: every run whose name starts with `cap-` or `steps-50` (the quantum
  model's parameter count against its FID) and the latent DDPM rows they carry;
- training_curve.png: the run `levels-iter300` (the headline's loss, 300 iterations, FID every
  25), or else the run with the longest FID curve (`--curve-every`): loss per iteration and FID
  along training.

- nisq_error_scale.png: the runs `scale_X` of `nisq_diffusion` (scripts/nisq_error_sweep.sh,
  under the NISQ runs directory): FID on the device of the noise-unaware and the noise-aware
  model (readout-mitigated) and the noise-unaware model's exact FID, against the error scale X.

Missing runs are skipped with a message; nothing is invented.
"""

import argparse
import json
import pathlib
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load_runs(root):
    runs = {}
    for path in sorted(root.glob("*/metrics.json")):
        with open(path) as f:
            runs[path.parent.name] = json.load(f)
    return runs


def row(metrics, kind):
    for r in metrics["rows"]:
        if r["kind"] == kind:
            return r
    return None


def split_of(metrics):
    return "validation" if "validation" in metrics["fid_features"] else "test"


def fid_vs_steps(runs, out):
    series = {
        "quantum (ours)": ("Quantum", "o-"),
        "latent DDPM, respaced ancestral": ("LatentDdpm", "s--"),
        "latent DDIM": ("LatentDdim", "s-"),
        "latent DDPM, parameter-matched, ancestral": ("LatentMatchedDdpm", "^--"),
        "latent DDIM, parameter-matched": ("LatentMatchedDdim", "^-"),
    }
    steps = sorted(
        int(name.split("-")[1]) for name in runs if name.startswith("steps-")
    )
    if not steps:
        print("plots: no steps-T runs, fid_vs_steps.png skipped", file=sys.stderr)
        return
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for label, (kind, style) in series.items():
        xs, ys = [], []
        for t in steps:
            r = row(runs[f"steps-{t}"], kind)
            if r is not None:
                xs.append(t)
                ys.append(r["score"]["fid"])
        if xs:
            ax.plot(xs, ys, style, label=label)
    ax.set_xscale("log")
    ax.set_xticks(steps)
    ax.set_xticklabels([str(t) for t in steps])
    ax.set_xlabel("sampling steps T")
    ax.set_ylabel("FID (our classifier features)")
    split = split_of(runs[f"steps-{steps[0]}"])
    ax.set_title(f"FID vs steps ({split} split)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "fid_vs_steps.png", dpi=120)
    print(f"plots: wrote {out / 'fid_vs_steps.png'}")


def fid_vs_parameters(runs, out):
    quantum, classical = [], {}
    for name, m in runs.items():
        if not (name.startswith("cap-") or name == "steps-50"):
            continue
        q = row(m, "Quantum")
        if q is not None and q.get("parameters"):
            quantum.append((q["parameters"], q["score"]["fid"], name))
        for kind, label in [
            ("LatentDdim", "latent DDIM-50"),
            ("LatentMatchedDdim", "latent DDIM-50, parameter-matched"),
        ]:
            r = row(m, kind)
            if r is not None and r.get("parameters"):
                classical[(label, r["parameters"])] = r["score"]["fid"]
    if not quantum:
        print("plots: no cap-* runs, fid_vs_parameters.png skipped", file=sys.stderr)
        return
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.scatter([p for p, _, _ in quantum], [f for _, f, _ in quantum], label="quantum (ours)")
    for p, f, name in quantum:
        ax.annotate(name.removeprefix("cap-"), (p, f), fontsize=6, xytext=(3, 3),
                    textcoords="offset points")
    for (label, p), f in sorted(classical.items()):
        ax.scatter([p], [f], marker="s", label=f"{label} ({p} parameters)")
    ax.set_xscale("log")
    ax.set_xlabel("trainable parameters")
    ax.set_ylabel("FID (our classifier features)")
    ax.set_title("FID vs trainable parameters (validation split)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "fid_vs_parameters.png", dpi=120)
    print(f"plots: wrote {out / 'fid_vs_parameters.png'}")


def training_curve(runs, out, preferred):
    with_curve = [(len(m.get("quantum_curve", [])), name) for name, m in runs.items()]
    with_curve = [c for c in with_curve if c[0] > 0]
    if not with_curve:
        print("plots: no run with an FID curve, training_curve.png skipped", file=sys.stderr)
        return
    names = [name for _, name in with_curve]
    name = preferred if preferred in names else max(with_curve)[1]
    m = runs[name]
    losses = m["quantum_losses"]
    curve = m["quantum_curve"]
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.plot(range(1, len(losses) + 1), losses, color="tab:blue", lw=0.8, label="training loss")
    ax.set_xlabel("iteration")
    ax.set_ylabel("training loss", color="tab:blue")
    ax2 = ax.twinx()
    ax2.plot([p["iteration"] for p in curve], [p["fid"] for p in curve], "o-",
             color="tab:red", label="FID")
    ax2.set_ylabel(f"FID ({split_of(m)} split)", color="tab:red")
    ax.set_title(f"training loss and FID along training ({name})")
    fig.tight_layout()
    fig.savefig(out / "training_curve.png", dpi=120)
    print(f"plots: wrote {out / 'training_curve.png'}")


def nisq_error_scale(nisq_root, out):
    points = []
    for path in sorted(nisq_root.glob("scale_*/metrics.json")):
        with open(path) as f:
            m = json.load(f)
        points.append(
            (m["error_scale"], m["fid_device_noise_unaware"], m["fid_device_noise_aware"],
             m["fid_exact"], m["config"]["split"])
        )
    if not points:
        print(f"plots: no scale_*/metrics.json under {nisq_root}, nisq_error_scale.png skipped",
              file=sys.stderr)
        return
    points.sort()
    x = [p[0] for p in points]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(x, [p[1] for p in points], "o-", label="noise-unaware, on the device (REM)")
    ax.plot(x, [p[2] for p in points], "s-", label="noise-aware, on the device (REM)")
    ax.plot(x, [p[3] for p in points], "k--", label="noise-unaware, exact (no device)")
    ax.set_xscale("log")
    ax.set_xlabel("error scale (x every error rate of the device)")
    ax.set_ylabel(f"FID, our classifier features ({points[0][4].lower()} split)")
    ax.set_title("MNIST on the IBM Kolkata model, 6 + 1 qubits, 10 steps")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "nisq_error_scale.png", dpi=120)
    print(f"plots: wrote {out / 'nisq_error_scale.png'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=pathlib.Path, required=True)
    parser.add_argument("--out", type=pathlib.Path, required=True)
    parser.add_argument("--nisq-runs", type=pathlib.Path, required=True)
    parser.add_argument("--curve", default="levels-iter300")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    runs = load_runs(args.runs)
    if runs:
        fid_vs_steps(runs, args.out)
        fid_vs_parameters(runs, args.out)
        training_curve(runs, args.out, args.curve)
    else:
        print(f"plots: no */metrics.json under {args.runs}", file=sys.stderr)
    nisq_error_scale(args.nisq_runs, args.out)


if __name__ == "__main__":
    main()
