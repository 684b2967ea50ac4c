#!/usr/bin/env python3
"""`assay infer` and `assay run` with a model, against PyTorch as the reference.

tests/model/make_tiny_model.py writes one small network as TorchScript and as
ONNX. Checks: both backends give PyTorch's own scores (and embeddings) to 1e-5
on DICOM files (modality values, raw and percentile-normalized, resized
bilinearly) and on PNG files; a missing model, a shape the model rejects and an
unknown perturbation are errors (exit 2, no output file); an image that cannot
be decoded and a NaN output are cases without a score, with the reason;
perturbed inference is reproducible from its seed. Then `assay run` on
examples/stress_protocol.toml (the example lesion cohort): evidence.json carries
the model run and the stress results, valid against the schema, with
degradation that grows with noise severity, and `assay verify --rerun`
reproduces it.

Usage: infer_test.py ASSAY_BINARY SOURCE_DIR
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile

import jsonschema
import numpy as np
import pydicom
import torch
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

ASSAY = os.path.abspath(sys.argv[1])
SOURCE = os.path.abspath(sys.argv[2])
failures = []
work_folder = tempfile.TemporaryDirectory()
work = work_folder.name
os.environ["ASSAY_REGISTRY"] = os.path.join(work, "registry.sqlite")


def check(condition, message):
    if not condition:
        failures.append(message)


def run(*arguments):
    return subprocess.run([ASSAY, *map(str, arguments)], capture_output=True, text=True)


def write_dicom(path, pixels, slope=1.0, intercept=0.0):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    meta.MediaStorageSOPInstanceUID = "1.2.3." + str(abs(hash(path)) % 10 ** 12)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.RescaleSlope = repr(slope)
    ds.RescaleIntercept = repr(intercept)
    ds.PixelData = pixels.astype(np.uint16).tobytes()
    ds.save_as(path, write_like_original=False)


def read_scores(path, key="path"):
    rows = list(csv.DictReader(open(path)))
    return {row[key]: row for row in rows}


# The model, and images with known modality values.
models = os.path.join(work, "models")
subprocess.run(["/usr/bin/python3", os.path.join(SOURCE, "tests", "model", "make_tiny_model.py"),
                models], check=True)
reference = torch.jit.load(os.path.join(models, "tiny.pt")).eval()
rng = np.random.default_rng(5)
images = os.path.join(work, "images")
os.makedirs(images)
arrays = {}
with open(os.path.join(work, "list.csv"), "w") as out:
    out.write("path,case\n")
    for i in range(40):
        size = 32 if i < 20 else 48
        stored = rng.integers(0, 4000, size=(size, size))
        slope, intercept = (0.5, -100.0) if i % 2 else (1.0, 0.0)
        name = f"images/i{i:02d}.dcm"
        write_dicom(os.path.join(work, name), stored, slope, intercept)
        arrays[name] = stored * slope + intercept
        out.write(f"{name},c{i:02d}\n")


def torch_scores(normalize, size=32):
    """The reference: PyTorch on the same preprocessing, (sigmoid(logit), embedding)."""
    result = {}
    for name, values in arrays.items():
        x = torch.from_numpy(normalize(values).astype(np.float32))[None, None]
        if x.shape[-1] != size:
            x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear",
                                                align_corners=False)
        with torch.no_grad():
            logit, embedding = reference(x)
        result[name] = (torch.sigmoid(logit).item(), embedding[0].numpy())
    return result


def percentile(values):
    low, high = np.percentile(values, [0.5, 99.5])
    return np.clip((values - low) / (high - low), 0, 1)


def compare(label, out, embeddings, expected, tolerance=1e-5):
    scores = read_scores(out)
    vectors = read_scores(embeddings)
    worst = 0.0
    for name, (score, embedding) in expected.items():
        row = scores.get(name)
        if row is None or row["output_status"] != "ok":
            failures.append(f"{label}: {name} has no score: {row}")
            continue
        worst = max(worst, abs(float(row["score"]) - score))
        got = np.array([float(v) for k, v in vectors[name].items() if k.startswith("embedding_")])
        worst = max(worst, float(np.max(np.abs(got - embedding))))
    check(worst <= tolerance, f"{label}: largest difference to PyTorch {worst:.3g} > {tolerance}")
    return worst


for backend, model_file, extra in (("torchscript", "tiny.pt", []),
                                   ("onnx", "tiny.onnx", ["--output-name", "logit",
                                                          "--output-name", "embedding"])):
    for intensity, normalize in (("raw", lambda v: v / 1000.0), ("percentile", percentile)):
        out = os.path.join(work, f"{backend}-{intensity}.csv")
        embeddings = os.path.join(work, f"{backend}-{intensity}-embeddings.csv")
        # raw values are scaled by the std option: (x - 0) / 1000.
        std = ["--std", "1000"] if intensity == "raw" else []
        result = run("infer", "--model", os.path.join(models, model_file), "--images",
                     os.path.join(work, "list.csv"), "--key", "path", "--input-size", 32, 32,
                     "--intensity", intensity, "--score", "logit", "--out", out,
                     "--embedding-output", 1, "--embeddings-out", embeddings, *std, *extra)
        check(result.returncode == 0, f"{backend} {intensity}: {result.stderr}")
        if result.returncode == 0:
            worst = compare(f"{backend} {intensity}", out, embeddings, torch_scores(normalize))
            print(f"{backend:12s} {intensity:10s} largest difference to PyTorch: {worst:.2e}")

# Both backends agree with each other on the same inputs.
a = read_scores(os.path.join(work, "torchscript-percentile.csv"))
b = read_scores(os.path.join(work, "onnx-percentile.csv"))
if a and b:
    gap = max(abs(float(a[k]["score"]) - float(b[k]["score"])) for k in a)
    check(gap <= 1e-5, f"TorchScript and ONNX differ by {gap:.3g}")
    print(f"TorchScript vs ONNX: largest score difference {gap:.2e}")

# Errors: exit code 2, a message naming the problem, no output file.
out = os.path.join(work, "should-not-exist.csv")
common = ["--images", os.path.join(work, "list.csv"), "--key", "path", "--out", out]
for label, arguments, words in (
        ("missing model", ["--model", os.path.join(models, "none.pt"), "--input-size", 32, 32],
         "does not exist"),
        ("rejected shape", ["--model", os.path.join(models, "tiny.pt"), "--input-size", 32, 32,
                            "--channels", 3], "rejected"),
        ("unknown perturbation", ["--model", os.path.join(models, "tiny.pt"), "--input-size", 32,
                                  32, "--perturb", "sharpen"], "unknown perturbation"),
        ("not a model", ["--model", os.path.join(work, "list.csv"), "--backend", "torchscript",
                         "--input-size", 32, 32], "not a TorchScript model"),
        ("missing root", ["--model", os.path.join(models, "tiny.pt"), "--input-size", 32, 32,
                          "--root", os.path.join(work, "nowhere")], "none of its")):
    result = run("infer", *arguments, *common)
    check(result.returncode == 2, f"{label}: exit {result.returncode}, expected 2")
    check(words in result.stderr, f"{label}: '{words}' not in: {result.stderr}")
    check(not os.path.exists(out), f"{label}: an output file was written")
    if os.path.exists(out):
        os.remove(out)

# An undecodable image and a NaN output are cases without a score, with the reason.
with open(os.path.join(work, "images", "broken.dcm"), "wb") as broken:
    broken.write(b"\0" * 128 + b"DICM" + b"\x02\x00\x10\x00UI\xff\x7f")
shutil.copy(os.path.join(work, "list.csv"), os.path.join(work, "list2.csv"))
with open(os.path.join(work, "list2.csv"), "a") as listing:
    listing.write("images/broken.dcm,broken\n")


class NanModel(torch.nn.Module):
    def forward(self, x):
        return torch.log(x.mean(dim=(1, 2, 3)) - 0.5)[:, None]  # NaN for dark images


torch.jit.trace(NanModel(), torch.rand(2, 1, 32, 32)).save(os.path.join(models, "nan.pt"))
out = os.path.join(work, "nan.csv")
result = run("infer", "--model", os.path.join(models, "nan.pt"), "--images",
             os.path.join(work, "list2.csv"), "--key", "path", "--input-size", 32, 32,
             "--intensity", "percentile", "--score", "logit", "--out", out)
check(result.returncode == 0, f"NaN model: {result.stderr}")
rows = read_scores(out) if os.path.exists(out) else {}
nan_rows = [r for r in rows.values() if "NaN or infinite" in r["output_detail"]]
broken = rows.get("images/broken.dcm", {})
check(len(nan_rows) > 0 and all(r["output_status"] == "failed" and r["score"] == ""
                                for r in nan_rows), f"NaN outputs not reported: {nan_rows[:2]}")
check(broken.get("output_status") == "failed" and "broken.dcm" in broken.get("output_detail", ""),
      f"the broken image is not a failed case with its reason: {broken}")
check(len(rows) == 41, f"{len(rows)} rows for 41 images")

# Perturbed inference is reproducible from its seed, and the seed matters.
def perturbed(seed, name):
    out = os.path.join(work, name)
    result = run("infer", "--model", os.path.join(models, "tiny.pt"), "--images",
                 os.path.join(work, "list.csv"), "--key", "path", "--input-size", 32, 32,
                 "--intensity", "percentile", "--score", "logit", "--out", out,
                 "--perturb", "gaussian_noise", "--severity", 4, "--seed", seed)
    check(result.returncode == 0, f"perturbed inference: {result.stderr}")
    return open(out).read() if os.path.exists(out) else ""


first, again, other = perturbed(1, "p1.csv"), perturbed(1, "p1b.csv"), perturbed(2, "p2.csv")
check(first == again and first != "", "perturbed inference differs between two runs")
check(first != other, "perturbed inference ignores its seed")

# assay run with [model] and [stress] on the example lesion cohort.
cohort = os.path.join(work, "stress")
subprocess.run(["/usr/bin/python3", os.path.join(SOURCE, "examples", "make_stress_example.py"),
                cohort, "--studies", "160"], check=True)
protocol_text = open(os.path.join(SOURCE, "examples", "stress_protocol.toml")).read()
protocol_text = protocol_text.replace(
    'perturbations = ["gaussian_noise", "poisson_noise", "gaussian_blur", "resample", "motion",\n'
    '                 "jpeg", "rotation", "flip"]\nseverities = [1, 2, 3, 4, 5]',
    'perturbations = ["gaussian_noise", "gaussian_blur", "flip"]\nseverities = [1, 3, 5]')
check("severities = [1, 3, 5]" in protocol_text, "the example protocol's [stress] changed")
protocol = os.path.join(cohort, "stress_protocol.toml")
open(protocol, "w").write(protocol_text)
result = run("scan", os.path.join(cohort, "archive"), "--out",
             os.path.join(cohort, "inventory.csv"), "--secret-file", os.path.join(cohort, "key"))
check(result.returncode == 0, f"scan: {result.stderr}")
results = os.path.join(work, "results")
result = run("run", protocol, "--out", results)
check(result.returncode == 0, f"run: {result.stderr[-2000:]}")
if result.returncode == 0:
    evidence = json.load(open(os.path.join(results, "evidence.json")))
    schema = json.load(open(os.path.join(SOURCE, "docs", "evidence.schema.json")))
    try:
        jsonschema.validate(evidence, schema)
    except jsonschema.ValidationError as error:
        failures.append(f"evidence.json does not validate: {error.message}")
    model_run = evidence.get("model_run", {})
    check(model_run.get("images") == 160 and model_run.get("images_failed") == 0,
          f"model_run: {model_run}")
    stress = evidence.get("stress", {})
    points = stress.get("points", [])
    check(len(points) == 7, f"{len(points)} stress points, expected 3 + 3 + 1")
    check(stress.get("cases") == 160, f"stress cases: {stress.get('cases')}")

    def point(name, severity):
        return next(p for p in points if p["perturbation"] == name and p["severity"] == severity)

    def auc(p):
        return next(e for e in p["endpoints"] if e["endpoint"] == "auc")

    clean_auc = evidence["endpoints"][0]["finding"]["estimate"]
    mild, severe = point("gaussian_noise", 1), point("gaussian_noise", 5)
    check(auc(severe)["perturbed"]["estimate"] < clean_auc - 0.05,
          f"AUC under severe noise {auc(severe)['perturbed']['estimate']} vs clean {clean_auc}")
    check(abs(auc(mild)["clean"]["estimate"] - clean_auc) < 1e-12,
          "the paired clean AUC is not the study's AUC")
    difference = auc(severe)["difference"]
    check(difference is not None and difference["test"] == "delong_paired"
          and difference["ci"]["upper"] < 0, f"severe-noise AUC difference: {difference}")
    check(severe["flips"] > mild["flips"], f"flips {mild['flips']} -> {severe['flips']}")
    check(severe["threshold"] == 0.5, "flips are not counted at the endpoints' threshold")
    flip = point("flip", 1)
    check(abs(auc(flip)["perturbed"]["estimate"] - clean_auc) < 0.05,
          "a left-right flip changed the (symmetric) detector's AUC")
    changes = {(c["perturbation"], c["endpoint"]): c for c in stress.get("verdict_changes", [])}
    check(changes.get(("gaussian_noise", "auc"), {}).get("severity") in (3, 5),
          f"no verdict change for AUC under noise: {changes.get(('gaussian_noise', 'auc'))}")
    result = run("verify", results, "--rerun")
    check(result.returncode == 0, f"verify --rerun: {result.stdout}{result.stderr}")

# A protocol that runs a model needs [data.imaging] images and no predictions.
bad = protocol_text.replace('images = "archive"            # the folder that was scanned\n', "")
open(protocol, "w").write(bad)
result = run("run", protocol, "--out", os.path.join(work, "bad"))
check(result.returncode == 2 and "data.imaging.images" in result.stderr,
      f"missing images key: {result.returncode} {result.stderr}")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("infer: all checks passed")
