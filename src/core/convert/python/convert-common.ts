/**
 * The shared part of the conversion script Inferscope runs with the user's Python: progress lines,
 * seeded inputs, loading the user's model code, and the files the check in onnxruntime reads (the
 * inputs both ran on and the original's outputs, raw little-endian, with a JSON manifest).
 * Python text, shipped inside the bundle and written to a temporary file when a conversion runs.
 */
export const CONVERT_COMMON = String.raw`
import importlib
import importlib.util
import json
import os
import sys
import time
import traceback

MARK = "@inferscope "
CONVERTER_PACKAGES = ("torch", "onnx", "numpy", "tensorflow", "tf2onnx")


# Run by hand, the script speaks to a person; run by Inferscope, in JSON lines.
HUMAN = False


def emit(event, **fields):
    if HUMAN:
        text = fields.get("message") or fields.get("exporter") or ""
        print("%s: %s" % (fields.get("code") or fields.get("stage") or event, text), flush=True)
        return
    fields["event"] = event
    sys.stdout.write(MARK + json.dumps(fields) + "\n")
    sys.stdout.flush()


def progress(stage, message, fraction=None):
    emit("progress", stage=stage, message=message, fraction=fraction)


class Refusal(Exception):
    """A failure with a code of Inferscope's (CONVERT_NEEDS_CODE, CONVERT_SHAPES_REQUIRED, ...)."""

    def __init__(self, code, message, detail=None):
        super().__init__(message)
        self.code = code
        self.detail = detail


def require(name):
    """A converter package; one that is installed but does not import (a broken install) says so."""
    try:
        return importlib.import_module(name)
    except ImportError as error:
        if error.name == name:
            raise
        raise Refusal("CONVERT_PACKAGES_MISSING", "%s is installed but does not import in this Python (%s): install it again, or "
                      "choose another Python." % (name, last_line(error)), traceback.format_exc())


def last_line(error):
    text = str(error).strip().splitlines()
    return (text[-1] if text else type(error).__name__).strip()


def shape_text(shape):
    return "[" + ", ".join(str(d) for d in shape) + "]"


def make_inputs(config, sample):
    """Seeded inputs for one sample set: uniform [0, 1) floats, small non-negative integers."""
    np = require("numpy")

    rng = np.random.RandomState(config["seed"] + sample)
    arrays = []
    for spec, shape in zip(config["inputs"], config["sampleShapes"][sample]):
        dtype = spec["dtype"]
        if dtype.startswith("float"):
            arrays.append(rng.random_sample(shape).astype(dtype))
        elif dtype == "bool":
            arrays.append(rng.randint(0, 2, size=shape).astype(bool))
        else:
            arrays.append(rng.randint(0, 10, size=shape).astype(dtype))
    return arrays


def dtype_name(array):
    name = str(array.dtype)
    return "bool" if name == "bool" else name


def save_tensor(folder, file, array):
    import numpy as np

    array = np.ascontiguousarray(array)
    if array.dtype.byteorder == ">":
        array = array.astype(array.dtype.newbyteorder("<"))
    array.tofile(os.path.join(folder, file))
    return {"dtype": dtype_name(array), "shape": [int(d) for d in array.shape], "file": file}


def add_import_folders(config):
    """The source's folder and the model code's folder, so the classes they name can be imported."""
    folders = [os.path.dirname(os.path.abspath(config["source"]))]
    code = config.get("modelCode") or {}
    for key in ("module", "script"):
        value = code.get(key)
        if value and value.endswith(".py"):
            folders.append(os.path.dirname(os.path.abspath(value)))
    for folder in reversed(folders):
        if folder not in sys.path:
            sys.path.insert(0, folder)


def load_python_file(path):
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise Refusal("CONVERT_NEEDS_CODE", "%s is not a Python file Python can load." % path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def model_from_code(code):
    """The user's model: a class (from a .py file or an importable module) with keyword arguments, or make_model()."""
    if code["kind"] == "factory":
        progress("loading", "Running make_model() from %s" % os.path.basename(code["script"]))
        module = load_python_file(code["script"])
        if not hasattr(module, "make_model"):
            raise Refusal("CONVERT_NEEDS_CODE", "%s defines no make_model() function." % code["script"])
        model = module.make_model()
        if model is None:
            raise Refusal("CONVERT_NEEDS_CODE", "make_model() in %s returned None, not a model." % code["script"])
        return model
    source = code["module"]
    module = load_python_file(source) if source.endswith(".py") else importlib.import_module(source)
    cls = getattr(module, code["className"], None)
    if cls is None:
        raise Refusal("CONVERT_NEEDS_CODE", "%s has no class %s." % (source, code["className"]))
    kwargs = json.loads(code.get("kwargsJson") or "{}")
    progress("loading", "Building %s(%s)" % (code["className"], ", ".join("%s=%r" % kv for kv in kwargs.items())))
    return cls(**kwargs)


def io_names(onnx_path, inputs, outputs):
    """The converted model's input and output names for ours: the same name, else the same position."""
    onnx = require("onnx")

    graph = onnx.load(onnx_path, load_external_data=False).graph
    initializers = set(i.name for i in graph.initializer)
    graph_inputs = [i.name for i in graph.input if i.name not in initializers]
    graph_outputs = [o.name for o in graph.output]

    def match(ours, theirs):
        found = {}
        for index, name in enumerate(ours):
            if name in theirs:
                found[name] = name
            else:
                bare = [t for t in theirs if t.split(":")[0] == name]
                found[name] = bare[0] if bare else (theirs[index] if index < len(theirs) else None)
        return found

    return match(inputs, graph_inputs), match(outputs, graph_outputs)


def write_manifest(config, samples, input_names, output_names):
    """The inputs both ran on and the original's outputs, for the check in onnxruntime."""
    folder = config["workdir"]
    in_map, out_map = io_names(config["output"], input_names, output_names)
    manifest = {"seed": config["seed"], "samples": []}
    for index, (arrays, outputs) in enumerate(samples):
        entry = {"inputs": [], "outputs": []}
        for name, array in zip(input_names, arrays):
            if in_map.get(name):  # the exporter drops inputs the model never reads
                file = "in%d_%d.bin" % (index, len(entry["inputs"]))
                entry["inputs"].append(dict(name=in_map[name], **save_tensor(folder, file, array)))
        for name, array in zip(output_names, outputs):
            if out_map.get(name):
                file = "out%d_%d.bin" % (index, len(entry["outputs"]))
                entry["outputs"].append(dict(name=out_map[name], **save_tensor(folder, file, array)))
        manifest["samples"].append(entry)
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump(manifest, f)
    return manifest


def check_here(config, manifest):
    """For the by-hand script: runs the converted model in onnxruntime, when this Python has it."""
    import numpy as np

    try:
        import onnxruntime
    except ImportError:
        print("onnxruntime is not installed here: the converted model was not checked.")
        return
    session = onnxruntime.InferenceSession(config["output"], providers=["CPUExecutionProvider"])
    folder = config["workdir"]
    load = lambda t: np.fromfile(os.path.join(folder, t["file"]), dtype=t["dtype"]).reshape(t["shape"])  # noqa: E731
    for sample in manifest["samples"]:
        got = session.run(None, {t["name"]: load(t) for t in sample["inputs"]})
        names = [o.name for o in session.get_outputs()]
        for expected in sample["outputs"]:
            a = load(expected).astype(np.float64).ravel()
            b = np.asarray(got[names.index(expected["name"])], dtype=np.float64).ravel()
            norms = np.linalg.norm(a) * np.linalg.norm(b)
            cosine = float(a @ b / norms) if norms > 0 else float(np.array_equal(a, b))
            print("%s: max |diff| %.3g, cosine %.6f" % (expected["name"], float(np.max(np.abs(a - b), initial=0)), cosine))


def main(config):
    started = time.time()
    try:
        add_import_folders(config)
        if config["framework"] == "pytorch":
            result = convert_torch(config)
        else:
            result = convert_tf(config)
        if config.get("checkHere"):
            check_here(config, result["manifest"])
        result.pop("manifest", None)
        emit("result", seconds=time.time() - started, **result)
    except Refusal as refusal:
        emit("error", code=refusal.code, message=str(refusal), detail=refusal.detail or traceback.format_exc(limit=-8))
        sys.exit(2)
    except ImportError as error:
        missing = (error.name or last_line(error)).split(".")[0]
        if missing in CONVERTER_PACKAGES:
            emit("error", code="CONVERT_PACKAGES_MISSING", message="This Python has no %s." % missing, detail=traceback.format_exc())
        else:
            emit("error", code="CONVERT_NEEDS_CODE", message="The model's code imports %s, which this Python cannot import." % missing,
                 detail=traceback.format_exc())
        sys.exit(2)
`;
