"""
Makes the TensorFlow files the conversion tests open, in the folder given as the only argument
(run with a Python that has tensorflow): the same small Keras model saved four ways.

  mlp.keras      Keras v3 archive            mlp.h5      Keras HDF5
  mlp_saved/     SavedModel (serving_default) mlp.tflite  TensorFlow Lite flatbuffer

Input "features" [batch, 8] float32, output [batch, 3] (softmax).
"""
import os
import sys

import tensorflow as tf


def main(folder):
    os.makedirs(folder, exist_ok=True)
    tf.random.set_seed(7)
    inputs = tf.keras.Input(shape=(8,), name="features")
    hidden = tf.keras.layers.Dense(16, activation="relu")(inputs)
    outputs = tf.keras.layers.Dense(3, activation="softmax")(hidden)
    model = tf.keras.Model(inputs, outputs)
    model.save(os.path.join(folder, "mlp.keras"))
    model.save(os.path.join(folder, "mlp.h5"))
    saved = os.path.join(folder, "mlp_saved")
    if hasattr(model, "export"):
        model.export(saved)  # Keras 3 writes a SavedModel this way
    else:
        tf.saved_model.save(model, saved)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    with open(os.path.join(folder, "mlp.tflite"), "wb") as f:
        f.write(converter.convert())
    print("tensorflow %s: fixtures written to %s" % (tf.__version__, folder))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: tf-models.py FOLDER")
    main(sys.argv[1])
