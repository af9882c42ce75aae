/** How a report names a model converted from PyTorch / TensorFlow: by its ONNX file and the file it came from. */
import type { RunModel } from '../../shared/domain/run';

/** "cnn.pt (TorchScript module (PyTorch))", or null for a model that was not converted. */
export function convertedFromText(model: Pick<RunModel, 'convertedFrom'>): string | null {
  const from = model.convertedFrom;
  return from ? `${from.name} (${from.label})` : null;
}

/** "cnn.onnx (converted from cnn.pt)": the model's name wherever a report names it in a title. */
export function modelTitle(model: Pick<RunModel, 'name' | 'convertedFrom'>): string {
  return model.convertedFrom ? `${model.name} (converted from ${model.convertedFrom.name})` : model.name;
}
