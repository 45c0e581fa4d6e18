/** Seeded randomness and small statistics for the polling simulations. */

/** A seeded source in [0, 1) (mulberry32), so a simulation gives the same numbers every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const uniform = (random: () => number, low: number, high: number) => () => low + random() * (high - low);

export const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
