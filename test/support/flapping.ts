import { emptyFlappingRecord, type FlappingRecord, type FlappingStore } from "../../functions/remediation/flapping-store.js";

/** The flapping guard's record in memory, for tests that are not about where it is stored. */
export function memoryFlappingStore(initial: FlappingRecord = emptyFlappingRecord()): FlappingStore & { current(): FlappingRecord } {
  let record = structuredClone(initial);
  return {
    location: "memory:state/flapping.json",
    load: async () => structuredClone(record),
    async update(mutate) {
      record = mutate(structuredClone(record));
    },
    current: () => structuredClone(record),
  };
}
