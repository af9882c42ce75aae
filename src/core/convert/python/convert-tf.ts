/**
 * TensorFlow → ONNX in the conversion script: Keras (.h5 / .keras) with tf2onnx.convert.from_keras,
 * a SavedModel with `python -m tf2onnx.convert --saved-model`, TFLite with from_tflite; the original
 * runs in Keras / its serving signature / the TFLite interpreter on the same seeded inputs.
 */
export const CONVERT_TF = String.raw`
def tf_original(tf, config):
    """The original model as a function of numpy inputs returning named numpy outputs, and what it is."""
    fmt, source = config["format"], config["source"]
    name = os.path.basename(source)
    if fmt in ("keras-h5", "keras-v3"):
        progress("loading", "Loading %s with Keras" % name)
        model = tf.keras.models.load_model(source, compile=False)
        names = [getattr(o, "name", "output_%d" % i).split("/")[0].split(":")[0] for i, o in enumerate(model.outputs)]

        def run(arrays):
            out = model(arrays if len(arrays) > 1 else arrays[0], training=False)
            out = out if isinstance(out, (list, tuple)) else [out]
            return list(zip(names, [o.numpy() for o in out]))

        return run, model
    if fmt == "tf-savedmodel":
        progress("loading", "Loading %s with tf.saved_model.load" % name)
        loaded = tf.saved_model.load(source)
        if "serving_default" not in loaded.signatures:
            raise Refusal("CONVERT_FAILED", "%s has no serving_default signature to convert." % name)
        function = loaded.signatures["serving_default"]
        keys = list(function.structured_input_signature[1].keys())

        def run(arrays):
            feeds = {key: tf.constant(a) for key, a in zip(keys, arrays)}
            out = function(**feeds)
            return [(k, out[k].numpy()) for k in sorted(out.keys())]

        return run, loaded
    progress("loading", "Loading %s with the TensorFlow Lite interpreter" % name)
    interpreter = tf.lite.Interpreter(model_path=source)

    def run(arrays):
        details = interpreter.get_input_details()
        for detail, array in zip(details, arrays):
            interpreter.resize_tensor_input(detail["index"], list(array.shape))
        interpreter.allocate_tensors()
        for detail, array in zip(details, arrays):
            interpreter.set_tensor(detail["index"], array)
        interpreter.invoke()
        return [(d["name"], interpreter.get_tensor(d["index"]).copy()) for d in interpreter.get_output_details()]

    return run, interpreter


def tf2onnx_export(tf, config, original):
    import subprocess

    tf2onnx = require("tf2onnx")

    fmt, opset, output = config["format"], config["opset"], config["output"]
    dtypes = {"float32": tf.float32, "float16": tf.float16, "float64": tf.float64, "int64": tf.int64, "int32": tf.int32,
              "bool": tf.bool, "uint8": tf.uint8, "int8": tf.int8}
    specs = [tf.TensorSpec([None if isinstance(d, str) else d for d in s["shape"]], dtypes[s["dtype"]], name=s["name"])
             for s in config["inputs"]]
    progress("exporting", "tf2onnx %s, opset %d" % (tf2onnx.__version__, opset))
    if fmt in ("keras-h5", "keras-v3"):
        try:
            tf2onnx.convert.from_keras(original, input_signature=specs, opset=opset, output_path=output)
        except Exception:  # Keras 3 models: from_keras expects Keras 2; the traced call converts either
            function = tf.function(lambda *args: original(list(args) if len(args) > 1 else args[0], training=False))
            tf2onnx.convert.from_function(function, input_signature=specs, opset=opset, output_path=output)
    elif fmt == "tflite":
        tf2onnx.convert.from_tflite(config["source"], opset=opset, output_path=output)
    else:
        command = [sys.executable, "-m", "tf2onnx.convert", "--saved-model", config["source"], "--output", output,
                   "--opset", str(opset)]
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
        if done.returncode != 0:
            lines = done.stdout.strip().splitlines()
            raise Refusal("CONVERT_FAILED", "tf2onnx failed: %s" % (lines[-1] if lines else "no output"), "\n".join(lines[-20:]))
    return "tf2onnx %s (TensorFlow %s), opset %d" % (tf2onnx.__version__, tf.__version__, opset)


def convert_tf(config):
    tf = require("tensorflow")

    run, original = tf_original(tf, config)
    progress("running-original", "Running the original in TensorFlow %s" % tf.__version__, 0.0)
    samples = []
    for sample in range(len(config["sampleShapes"])):
        arrays = make_inputs(config, sample)
        try:
            samples.append((arrays, run(arrays)))
        except Exception as error:
            given = ", ".join("%s %s" % (s["name"], shape_text(a.shape)) for s, a in zip(config["inputs"], arrays))
            raise Refusal("CONVERT_SHAPES_REQUIRED", "The model did not run on the inputs given (%s): %s" % (given, last_line(error)))
    try:
        exporter = tf2onnx_export(tf, config, original)
    except Refusal:
        raise
    except Exception as error:
        raise Refusal("CONVERT_FAILED", "tf2onnx failed: %s" % last_line(error), traceback.format_exc())
    output_names = [name for name, _ in samples[0][1]]
    named = [(arrays, [array for _, array in outputs]) for arrays, outputs in samples]
    manifest = write_manifest(config, named, [s["name"] for s in config["inputs"]], output_names)
    return {"exporter": exporter, "opset": config["opset"], "dynamicAxes": {}, "manifest": manifest}
`;
