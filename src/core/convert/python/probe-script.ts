/**
 * The Python that says what an interpreter has, printed as one JSON line. It imports none of the
 * packages (importing torch or tensorflow takes seconds): versions come from the installed
 * distributions' metadata, and each exporter's newest opset from its source files' text.
 */
export const PROBE_SCRIPT = String.raw`
import json, os, re, sys
import importlib.util

try:
    from importlib import metadata
except ImportError:  # Python 3.7: pkg_resources (slow to import, so only here)
    metadata = None

def version_of(*names):
    for name in names:
        try:
            if metadata is not None:
                return metadata.version(name)
            import pkg_resources
            return pkg_resources.get_distribution(name).version
        except Exception:
            pass
    return None

def package_dir(module):
    try:
        spec = importlib.util.find_spec(module)
    except Exception:
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return list(spec.submodule_search_locations)[0]

def read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError:
        return ""

def torch_max_opset():
    base = package_dir("torch")
    if base is None:
        return None
    folders = [os.path.join(base, "onnx"), os.path.join(base, "onnx", "_internal", "torchscript_exporter")]
    # The TorchScript exporter's limit (torch.onnx.export with dynamo=False), then older names for it.
    for name in ("ONNX_TORCHSCRIPT_EXPORTER_MAX_OPSET", "ONNX_MAX_OPSET", "onnx_main_opset"):
        for folder in folders:
            found = re.search(r"^" + name + r"\s*=\s*(\d+)", read(os.path.join(folder, "_constants.py")), re.M)
            if found:
                return int(found.group(1))
    opsets = []
    for folder in folders:
        try:
            opsets += [int(m.group(1)) for m in (re.match(r"symbolic_opset(\d+)\.py$", n) for n in os.listdir(folder)) if m]
        except OSError:
            pass
    return max(opsets) if opsets else None

def tf2onnx_max_opset():
    base = package_dir("tf2onnx")
    if base is None:
        return None
    table = re.search(r"OPSET_TO_IR_VERSION\s*=\s*\{([^}]*)\}", read(os.path.join(base, "constants.py")))
    keys = [int(k) for k in re.findall(r"(\d+)\s*:", table.group(1))] if table else []
    return max(keys) if keys else None

packages = {
    "torch": version_of("torch"),
    "onnx": version_of("onnx"),
    "numpy": version_of("numpy"),
    "tensorflow": version_of("tensorflow", "tensorflow-cpu", "tensorflow-macos", "tensorflow-intel", "tf-nightly"),
    "tf2onnx": version_of("tf2onnx"),
}
for module in ("torch", "onnx", "numpy", "tensorflow", "tf2onnx"):
    if packages[module] is None and package_dir(module) is not None:
        packages[module] = "unknown version"
print(json.dumps({
    "executable": sys.executable,
    "prefix": sys.prefix,
    "version": "%d.%d.%d" % tuple(sys.version_info[:3]),
    "packages": packages,
    "exporterMaxOpset": {"torch": torch_max_opset(), "tf2onnx": tf2onnx_max_opset()},
}))
`;
