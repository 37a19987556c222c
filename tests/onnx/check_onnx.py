"""Checks an ONNX file with onnx.checker (full_check: with shape inference)
and prints what a consumer sees of it as JSON.

usage: /usr/bin/python3 check_onnx.py MODEL.onnx
Exit status 0 when the checker accepts the model, 1 when it does not, 77 when
the onnx package is missing."""

import json
import sys

try:
    import onnx
except ImportError:
    print("python3-onnx is not installed", file=sys.stderr)
    sys.exit(77)


def dims(value_info):
    shape = value_info.type.tensor_type.shape
    return [d.dim_param if d.HasField("dim_param") else d.dim_value for d in shape.dim]


def main(path):
    model = onnx.load(path)
    try:
        onnx.checker.check_model(model, full_check=True)
    except onnx.checker.ValidationError as e:
        print(f"{path}: {e}", file=sys.stderr)
        return 1
    except onnx.shape_inference.InferenceError as e:
        print(f"{path}: shape inference: {e}", file=sys.stderr)
        return 1
    summary = {
        "ir_version": model.ir_version,
        "opset": {o.domain: o.version for o in model.opset_import},
        "producer_name": model.producer_name,
        "inputs": {i.name: {"elem_type": i.type.tensor_type.elem_type, "dims": dims(i)}
                   for i in model.graph.input},
        "outputs": {o.name: {"elem_type": o.type.tensor_type.elem_type, "dims": dims(o)}
                    for o in model.graph.output},
        "ops": sorted({n.op_type for n in model.graph.node}),
        "metadata": {p.key: p.value for p in model.metadata_props},
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
