import type { Principal, World } from "../emulator/state.js";

/**
 * Worlds of the sandboxes running in this process. Its own module, importing only types, so the
 * permission recorder (test/permissions/recorder.ts, a setup file of every unit and e2e test file)
 * can attribute calls to roles without loading the whole emulator into every test worker.
 */
export const runningWorlds = new Set<World>();

/**
 * The principal an access key of a sandbox running in this process authenticates as. For test
 * instrumentation that attributes SDK calls to roles (test/permissions/recorder.ts).
 */
export function principalOfAccessKey(accessKeyId: string): Principal | undefined {
  for (const world of runningWorlds) {
    const found = world.credentials.get(accessKeyId);
    if (found) return found;
  }
  return undefined;
}
