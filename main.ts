import { ConfigError, formatConfigError } from "./functions/config/load.js";
import { loadConfig } from "./functions/accounts-file/index.js";
import { driftguardApp } from "./modules/app.js";

// cdktf runs this (cdktf.json "app"); `npm run synth` runs it directly. Both write cdktf.out/.
const configFile = process.env.DRIFTGUARD_CONFIG ?? "accounts.yaml";

try {
  driftguardApp(loadConfig(configFile)).synth();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(formatConfigError(err));
  process.exit(1);
}
