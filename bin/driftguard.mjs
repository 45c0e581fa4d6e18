#!/usr/bin/env node
// `npx driftguard …` in the checkout: runs cli/main.ts through tsx, as `npm start` does.
import process from "node:process";
import { register } from "tsx/esm/api";

register();
const { main } = await import("../cli/main.ts");
const { processIo } = await import("../cli/io.ts");
process.exitCode = await main(process.argv.slice(2), processIo());
