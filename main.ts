import { ConfigError, formatConfigError } from "./functions/config/load.js";
import { loadConfig } from "./functions/accounts-file/index.js";
import { driftguardApp } from "./modules/app.js";
import { chooseExecution, describeExecution } from "./functions/scanner/index.js";

// cdktf runs this (cdktf.json "app"); `npm run synth` runs it directly. Both write cdktf.out/.
const configFile = process.env.DRIFTGUARD_CONFIG ?? "accounts.yaml";

try {
  const config = loadConfig(configFile);
  driftguardApp(config).synth();
  // The scan's expected duration against the Lambda timeout, and what hub.execution: auto chose.
  console.error(describeExecution(chooseExecution(config)));
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(formatConfigError(err));
  process.exit(1);
}
