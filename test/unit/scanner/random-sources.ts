/** Seeded randomness and small statistics for the polling simulations. */
import { seededRandom as seeded } from "../../../sandbox/harness/random.js";

/** A seeded source in [0, 1), the sandbox's own, so a simulation gives the same numbers every run. */
export { seeded };

export const uniform = (random: () => number, low: number, high: number) => () => low + random() * (high - low);

export const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
