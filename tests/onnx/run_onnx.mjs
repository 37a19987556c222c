// Runs an ONNX model with onnxruntime-node and prints its outputs as JSON.
// usage: node run_onnx.mjs MODULES_DIR MODEL.onnx INPUT.json
//   MODULES_DIR holds node_modules/onnxruntime-node
//   INPUT.json: {"type": "float32" | "int64", "dims": [...], "data": [...]} for the input "input",
//   or {"inputs": {NAME: {"type": ..., "dims": [...], "data": [...]}, ...}} for named inputs
// prints: {"logits": {"dims": [...], "data": [...]}, "probabilities": {...}}
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const [modulesDir, modelPath, inputPath] = process.argv.slice(2);
if (!modulesDir || !modelPath || !inputPath) {
  console.error('usage: node run_onnx.mjs MODULES_DIR MODEL.onnx INPUT.json');
  process.exit(2);
}

const require = createRequire(path.join(path.resolve(modulesDir), 'index.js'));
const ort = require('onnxruntime-node');

function tensor(spec) {
  let data;
  if (spec.type === 'int64')
    data = BigInt64Array.from(spec.data.map((v) => BigInt(v)));
  else if (spec.type === 'float32')
    data = Float32Array.from(spec.data);
  else
    throw new Error(`unknown input type ${spec.type}`);
  return new ort.Tensor(spec.type, data, spec.dims);
}

const spec = JSON.parse(readFileSync(inputPath, 'utf8'));
const feeds = {};
for (const [name, input] of Object.entries(spec.inputs ?? { input: spec }))
  feeds[name] = tensor(input);

const session = await ort.InferenceSession.create(modelPath, {
  graphOptimizationLevel: 'all',
  intraOpNumThreads: 1,
});
const results = await session.run(feeds);
const out = { inputNames: session.inputNames, outputNames: session.outputNames };
for (const name of session.outputNames)
  out[name] = { dims: results[name].dims, data: Array.from(results[name].data) };
process.stdout.write(JSON.stringify(out) + '\n');
