import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, formatConfigError, loadConfig } from "../functions/config/load.js";
import { bundleLambda, HANDLER_ENTRY } from "../modules/lambda-bundle.js";

// `npm run build`: the same bundle `npm run synth` ships, written to dist/lambda for inspection.
const configFile = process.env.DRIFTGUARD_CONFIG ?? "accounts.yaml";
const outDir = join("dist", "lambda");

try {
  const dir = bundleLambda({ entry: HANDLER_ENTRY, config: loadConfig(configFile), outDir });
  for (const name of readdirSync(dir)) {
    console.log(`${join(dir, name)}  ${(statSync(join(dir, name)).size / 1024).toFixed(0)} KiB`);
  }
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(formatConfigError(err));
  process.exit(1);
}
