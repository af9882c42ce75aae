/**
 * Inferscope sends nothing anywhere. onnxruntime 1.30 has telemetry of its own on every platform:
 * on Linux and macOS it keeps a device id and an event database under
 * ~/.cache/Microsoft/DeveloperTools/.onnxruntime/ and can upload events. Every process that loads
 * onnxruntime (the worker) starts with this environment, which turns that off.
 */
export const NO_TELEMETRY_ENV: Readonly<Record<string, string>> = { ORT_DISABLE_TELEMETRY: '1' };
