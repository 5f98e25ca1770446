// makeready's display document (makeready/rendering/display.py): "MRD1", a uint32 header length, the JSON
// header, then 4-byte aligned little-endian arrays viewed in place as typed arrays.

const TYPED = { float32: Float32Array, uint32: Uint32Array, uint8: Uint8Array };

export function parseDisplay(buffer) {
  const bytes = new Uint8Array(buffer);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== 'MRD1') throw new Error('not a makeready display document');
  const size = new DataView(buffer).getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + size)));
  const start = 8 + size;
  const arrays = {};
  for (const [name, spec] of Object.entries(header.arrays)) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    arrays[name] = new TYPED[spec.dtype](buffer, start + spec.offset, count);
  }
  return { meta: header.meta, arrays };
}
