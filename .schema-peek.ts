import { operationSchema } from "./sandbox/protocol/sdk-schemas.js";
const [svc, ...actions] = process.argv.slice(2);
function dump(s: any, depth = 0, seen = new Set()): string {
  const pad = "  ".repeat(depth);
  if (s.isStructSchema()) {
    if (seen.has(s.getName()) ) return pad + "(recursive " + s.getName() + ")\n";
    const seen2 = new Set(seen); seen2.add(s.getName());
    let out = "";
    for (const [n, m] of s.structIterator()) {
      out += `${pad}${n} ${JSON.stringify(m.getMergedTraits())} ${m.isListSchema() ? "[list]" : m.isStructSchema() ? "{struct " + m.getName() + "}" : ""}\n`;
      if (depth < 4) {
        if (m.isStructSchema()) out += dump(m, depth + 1, seen2);
        if (m.isListSchema()) { const v = m.getValueSchema(); out += `${pad}  item ${JSON.stringify(v.getMergedTraits())}\n`; if (v.isStructSchema()) out += dump(v, depth + 2, seen2); }
      }
    }
    return out;
  }
  return "";
}
for (const a of actions) {
  const op = operationSchema(svc!, a)!;
  console.log(`### ${a} input ${op.input.getName()} ${JSON.stringify(op.http)}`); console.log(dump(op.input));
  console.log(`### ${a} output`); console.log(dump(op.output));
}
