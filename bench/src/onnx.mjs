// @ts-check
/**
 * Builds the ONNX model of each benchmark case in code, so ONNX Runtime gets exactly the graph
 * the other libraries run, with no Python or .onnx files in the repository.
 *
 * A minimal protobuf writer: only the fields of onnx.proto (IR version 9) that these graphs use.
 * Field numbers are those of onnx/onnx.proto3: ModelProto{ir_version 1, producer_name 2, graph 7,
 * opset_import 8}, GraphProto{node 1, name 2, initializer 5, input 11, output 12},
 * NodeProto{input 1, output 2, name 3, op_type 4, attribute 5}, AttributeProto{name 1, f 2, i 3,
 * ints 8, type 20}, TensorProto{dims 1, data_type 2, name 8, raw_data 9}, ValueInfoProto{name 1,
 * type 2}, TypeProto{tensor_type 1}, TypeProto.Tensor{elem_type 1, shape 2},
 * TensorShapeProto{dim 1}, Dimension{dim_value 1}, OperatorSetIdProto{domain 1, version 2}.
 * @module
 */

const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 };
export const OPSET = 20; // Gelu is opset 20; LayerNormalization 17
const IR_VERSION = 9; // the IR version that goes with opsets 19-20

/** Protobuf message writer (wire types 0 varint, 2 length-delimited, 5 fixed32). */
class Msg {
  constructor() {
    /** @type {number[]} */
    this.bytes = [];
  }
  /** @param {number | bigint} v */
  varint(v) {
    let x = BigInt.asUintN(64, BigInt(v));
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x) b |= 0x80;
      this.bytes.push(b);
    } while (x);
    return this;
  }
  /** @param {number} field @param {number} wire */
  tag(field, wire) {
    return this.varint((field << 3) | wire);
  }
  /** @param {number} field @param {number | bigint} v */
  int(field, v) {
    return this.tag(field, 0).varint(v);
  }
  /** @param {number} field @param {number} v */
  float(field, v) {
    const b = new Uint8Array(new Float32Array([v]).buffer);
    this.tag(field, 5);
    this.bytes.push(...b);
    return this;
  }
  /** @param {number} field @param {Uint8Array | number[]} b */
  bytesField(field, b) {
    this.tag(field, 2).varint(b.length);
    for (let i = 0; i < b.length; i++) this.bytes.push(/** @type {number} */ (b[i]));
    return this;
  }
  /** @param {number} field @param {string} s */
  str(field, s) {
    return this.bytesField(field, new TextEncoder().encode(s));
  }
  /** @param {number} field @param {Msg} m */
  msg(field, m) {
    return this.bytesField(field, m.bytes);
  }
}

/** @param {string} name @param {readonly number[]} shape */
function valueInfo(name, shape) {
  const dims = new Msg();
  for (const d of shape) dims.msg(1, new Msg().int(1, d));
  const tensorType = new Msg().int(1, FLOAT).msg(2, dims);
  return new Msg().str(1, name).msg(2, new Msg().msg(1, tensorType));
}

/** @param {string} name @param {readonly number[]} shape @param {Float32Array} data */
function initializer(name, shape, data) {
  const t = new Msg();
  for (const d of shape) t.int(1, d);
  t.int(2, FLOAT).str(8, name).bytesField(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return t;
}

/**
 * @typedef {{ op: string, inputs: string[], outputs: string[],
 *   attrs?: Record<string, number | number[] | string | { float: number }> }} NodeSpec
 */

/** @param {NodeSpec} n @param {number} i */
function node(n, i) {
  const m = new Msg();
  for (const x of n.inputs) m.str(1, x);
  for (const y of n.outputs) m.str(2, y);
  m.str(3, `${n.op}_${i}`).str(4, n.op);
  for (const [k, v] of Object.entries(n.attrs ?? {})) {
    const a = new Msg().str(1, k);
    if (typeof v === 'string') a.bytesField(4, new TextEncoder().encode(v)).int(20, ATTR.STRING);
    else if (Array.isArray(v)) {
      for (const x of v) a.int(8, x);
      a.int(20, ATTR.INTS);
    } else if (typeof v === 'object') a.float(2, v.float).int(20, ATTR.FLOAT);
    else a.int(3, v).int(20, ATTR.INT);
    m.msg(5, a);
  }
  return m;
}

/**
 * Serialises a one-graph model.
 * @param {{ inputs: [string, number[]][], outputs: [string, number[]][], nodes: NodeSpec[],
 *   initializers?: [string, number[], Float32Array][] }} g
 * @returns {Uint8Array}
 */
export function buildModel(g) {
  const graph = new Msg();
  g.nodes.forEach((n, i) => graph.msg(1, node(n, i)));
  graph.str(2, 'tessera_bench');
  for (const [name, shape, data] of g.initializers ?? []) graph.msg(5, initializer(name, shape, data));
  for (const [name, shape] of g.inputs) graph.msg(11, valueInfo(name, shape));
  for (const [name, shape] of g.outputs) graph.msg(12, valueInfo(name, shape));
  const model = new Msg()
    .int(1, IR_VERSION)
    .str(2, 'tessera-bench')
    .msg(7, graph)
    .msg(8, new Msg().str(1, '').int(2, OPSET));
  return Uint8Array.from(model.bytes);
}
