import { join } from "node:path";
import { BUILD_DIR, bundleLambda, HANDLER_ENTRY, writeBundleFiles } from "../modules/lambda-bundle.js";

// `npm run build`: the same archive `npm run synth` ships, plus its files unzipped in dist/lambda
// for inspection. Prints the archive's SHA-256: the same sources give the same one. The
// configuration is not part of it: the hub stack writes it to the report bucket.
const started = performance.now();
const bundle = bundleLambda({ entry: HANDLER_ENTRY });
const seconds = ((performance.now() - started) / 1000).toFixed(1);
const unzipped = join(BUILD_DIR, "lambda");
writeBundleFiles(bundle.files, unzipped);
for (const [name, contents] of bundle.files) console.log(`${join(unzipped, name)}  ${(contents.length / 1024).toFixed(0)} KiB`);
console.log(`${bundle.archive}  sha256 ${bundle.sha256}  (built in ${seconds} s)`);
