/**
 * PyTorch → ONNX in the conversion script: load (TorchScript; a pickle only with the user's go-ahead;
 * a state_dict with weights_only=True into the user's class), run the original on the seeded inputs,
 * export with torch.onnx.export (the TorchScript exporter; named dims dynamic).
 */
export const CONVERT_TORCH = String.raw`
def torch_load(torch, path, weights_only):
    """torch.load on the CPU; weights_only=True refuses any pickle that names more than tensors."""
    import inspect

    kwargs = {"map_location": "cpu"}
    if "weights_only" in inspect.signature(torch.load).parameters:
        kwargs["weights_only"] = weights_only
    elif weights_only:
        raise Refusal("CONVERT_NOT_TRUSTED", "torch %s cannot load weights without running the pickle (weights_only needs "
                      "torch 1.13 or newer): allow running it, or update torch." % torch.__version__)
    try:
        return torch.load(path, **kwargs)
    except RuntimeError as error:
        if weights_only or "magic number" not in str(error):
            raise
    import pickle  # a plain pickle, not a torch.save file: the user agreed to running it

    with open(path, "rb") as f:
        return pickle.load(f)


def load_pickle(torch, config, weights_only):
    name = os.path.basename(config["source"])
    try:
        return torch_load(torch, config["source"], weights_only)
    except (AttributeError, ModuleNotFoundError) as error:
        raise Refusal("CONVERT_NEEDS_CODE", "%s pickles a class this Python cannot import (%s): give the Python file that defines it."
                      % (name, last_line(error)))
    except Exception as error:
        if weights_only and type(error).__name__ == "UnpicklingError":
            why = last_line(error).split("WeightsUnpickler error:")[-1].strip()
            raise Refusal("CONVERT_NOT_TRUSTED", "torch %s cannot load %s as weights only (%s): loading it fully runs code the pickle "
                          "names, so Inferscope needs your go-ahead." % (torch.__version__, name, why))
        raise


def find_state_dict(torch, value):
    if isinstance(value, dict) and value and all(isinstance(v, torch.Tensor) for v in value.values()):
        return value
    if isinstance(value, dict):
        for key in ("state_dict", "model_state_dict", "model", "net", "weights"):
            if isinstance(value.get(key), dict) and find_state_dict(torch, value[key]) is not None:
                return value[key]
    return None


def load_torch_model(torch, config):
    fmt, name = config["format"], os.path.basename(config["source"])
    code = config.get("modelCode")
    if fmt == "torchscript":
        progress("loading", "Loading %s with torch.jit.load" % name)
        return torch.jit.load(config["source"], map_location="cpu")
    if fmt == "torch-module" and not config.get("trust"):
        raise Refusal("CONVERT_NOT_TRUSTED", "%s is a pickled model: loading it runs code the file names. Convert it only with your "
                      "go-ahead, for a file you trust." % name)
    if code and code["kind"] == "class" and code["module"].endswith(".py"):
        # A class pickled from a script is named __main__.Net: the user's file defines it.
        module = load_python_file(code["module"])
        setattr(sys.modules["__main__"], code["className"], getattr(module, code["className"], None))
    progress("loading", "Loading %s with torch.load (%s)" % (name, "trusted" if config.get("trust") else "weights only"))
    loaded = load_pickle(torch, config, weights_only=not config.get("trust"))
    if isinstance(loaded, torch.nn.Module):
        return loaded
    weights = find_state_dict(torch, loaded)
    if weights is None:
        raise Refusal("CONVERT_FAILED", "%s holds a %s, not a model or a state_dict." % (name, type(loaded).__name__))
    if not code:
        raise Refusal("CONVERT_NEEDS_CODE", "%s holds weights only (a state_dict of %d tensors): give the model's Python class or a "
                      "factory script." % (name, len(weights)))
    model = model_from_code(code)
    if not isinstance(model, torch.nn.Module):
        raise Refusal("CONVERT_NEEDS_CODE", "The model code made a %s, not a torch.nn.Module." % type(model).__name__)
    try:
        model.load_state_dict(weights)
    except RuntimeError as error:
        raise Refusal("CONVERT_NEEDS_CODE", "The weights in %s do not fit %s: %s" % (name, type(model).__name__,
                      " ".join(str(error).split())[:600]))
    return model


def flatten_outputs(torch, value, out):
    if isinstance(value, torch.Tensor):
        out.append(value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            flatten_outputs(torch, item, out)
    elif isinstance(value, dict):
        for item in value.values():
            flatten_outputs(torch, item, out)
    return out


def run_torch(torch, model, config, sample):
    arrays = make_inputs(config, sample)
    tensors = [torch.from_numpy(a) for a in arrays]
    try:
        with torch.no_grad():
            outputs = flatten_outputs(torch, model(*tensors), [])
    except Exception as error:
        given = ", ".join("%s %s (%s)" % (s["name"], shape_text(a.shape), a.dtype) for s, a in zip(config["inputs"], arrays))
        raise Refusal("CONVERT_SHAPES_REQUIRED", "The model did not run on the inputs given (%s): %s" % (given, last_line(error)))
    if not outputs:
        raise Refusal("CONVERT_FAILED", "The model returned no tensors, so there is nothing to export.")
    return arrays, tensors, [o.detach().cpu().numpy() for o in outputs]


def dynamic_axes_of(config, samples, output_names):
    """Named input dims, and the output dims whose size changed between the two input sets."""
    axes = {}
    for spec in config["inputs"]:
        named = {i: d for i, d in enumerate(spec["shape"]) if isinstance(d, str)}
        if named:
            axes[spec["name"]] = named
    if len(samples) < 2:
        return axes
    sizes = {}
    for spec, first, second in zip(config["inputs"], config["sampleShapes"][0], config["sampleShapes"][1]):
        for i, d in enumerate(spec["shape"]):
            if isinstance(d, str):
                sizes[(first[i], second[i])] = d
    for name, a, b in zip(output_names, samples[0][2], samples[1][2]):
        changed = {i: sizes.get((x, y), "%s_dim%d" % (name, i)) for i, (x, y) in enumerate(zip(a.shape, b.shape)) if x != y}
        if changed:
            axes[name] = changed
    return axes


def convert_torch(config):
    import inspect

    torch = require("torch")
    model = load_torch_model(torch, config)
    model.eval()
    progress("running-original", "Running the original in PyTorch %s" % torch.__version__, 0.0)
    samples = [run_torch(torch, model, config, s) for s in range(len(config["sampleShapes"]))]
    output_names = ["output"] if len(samples[0][2]) == 1 else ["output_%d" % i for i in range(len(samples[0][2]))]
    input_names = [spec["name"] for spec in config["inputs"]]
    axes = dynamic_axes_of(config, samples, output_names)
    kwargs = dict(input_names=input_names, output_names=output_names, opset_version=config["opset"], dynamic_axes=axes,
                  do_constant_folding=True)
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # the TorchScript exporter: the one whose opsets are listed, and it takes dynamic_axes
    progress("exporting", "torch.onnx.export, opset %d" % config["opset"])
    try:
        torch.onnx.export(model, tuple(samples[0][1]), config["output"], **kwargs)
    except Exception as error:
        raise Refusal("CONVERT_FAILED", "torch.onnx.export failed: %s" % last_line(error), traceback.format_exc())
    manifest = write_manifest(config, [(arrays, outputs) for arrays, _, outputs in samples], input_names, output_names)
    return {
        "exporter": "torch.onnx.export (TorchScript exporter, torch %s), opset %d" % (torch.__version__, config["opset"]),
        "opset": config["opset"],
        "dynamicAxes": {k: {str(i): v for i, v in d.items()} for k, d in axes.items()},
        "manifest": manifest,
    }
`;
