import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { bundleLambda, HANDLER_ENTRY } from "../modules/lambda-bundle.js";

// `npm run build`: the same bundle `npm run synth` ships, written to dist/lambda for inspection.
// The configuration is not part of it: the hub stack writes it to the report bucket.
const outDir = join("dist", "lambda");

const dir = bundleLambda({ entry: HANDLER_ENTRY, outDir });
for (const name of readdirSync(dir)) {
  console.log(`${join(dir, name)}  ${(statSync(join(dir, name)).size / 1024).toFixed(0)} KiB`);
}
