import { join } from "node:path";
import { ConfigError, formatConfigError, loadConfig } from "../functions/config/load.js";
import { BUILD_DIR, bundleLambda, HANDLER_ENTRY, writeBundleFiles } from "../modules/lambda-bundle.js";

// `npm run build`: the same archive `npm run synth` ships, plus its files unzipped in dist/lambda
// for inspection. Prints the archive's SHA-256: the same sources and config give the same one.
const configFile = process.env.DRIFTGUARD_CONFIG ?? "accounts.yaml";

try {
  const started = performance.now();
  const bundle = bundleLambda({ entry: HANDLER_ENTRY, config: loadConfig(configFile) });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const unzipped = join(BUILD_DIR, "lambda");
  writeBundleFiles(bundle.files, unzipped);
  for (const [name, contents] of bundle.files) console.log(`${join(unzipped, name)}  ${(contents.length / 1024).toFixed(0)} KiB`);
  console.log(`${bundle.archive}  sha256 ${bundle.sha256}  (built in ${seconds} s)`);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(formatConfigError(err));
  process.exit(1);
}
