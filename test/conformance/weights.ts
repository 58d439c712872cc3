/**
 * Weighted-distribution math of the upstream suite (conformance/utils/weight): the backend of
 * a response is its pod name minus the last two '-' segments; every response must come from a
 * listed backend; as many distinct backends must be seen as have weight > 0; each observed
 * share must be within `tolerance` (absolute) of the expected weight share.
 */

/** `infra-backend-v1-7d9f8c6b5d-abcde` → `infra-backend-v1`. */
export function backendFromPod(pod: string): string {
  const parts = pod.split('-');
  return parts.length > 2 ? parts.slice(0, -2).join('-') : pod;
}

/** Checks observed counts against weights. Returns null or the reason it fails. */
export function checkWeights(counts: ReadonlyMap<string, number>, weights: Readonly<Record<string, number>>, tolerance: number): string | null {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return 'no responses counted';
  const weightSum = Object.values(weights).reduce((a, b) => a + b, 0);
  for (const b of counts.keys()) {
    if (!(b in weights)) return `response from unexpected backend ${b}`;
  }
  const expectedSeen = Object.values(weights).filter((w) => w > 0).length;
  if (counts.size !== expectedSeen) return `saw ${counts.size} distinct backends (${[...counts.keys()].join(', ')}), expected ${expectedSeen}`;
  for (const [b, w] of Object.entries(weights)) {
    const want = weightSum === 0 ? 0 : w / weightSum;
    const got = (counts.get(b) ?? 0) / total;
    if (Math.abs(got - want) > tolerance) {
      return `backend ${b}: share ${got.toFixed(3)}, expected ${want.toFixed(3)} ± ${tolerance} (${describeCounts(counts)})`;
    }
  }
  return null;
}

/** `a=350, b=150` for messages. */
export function describeCounts(counts: ReadonlyMap<string, number>): string {
  return [...counts.entries()].map(([k, v]) => `${k}=${v}`).join(', ');
}

/**
 * The acceptance range upstream uses for percentage mirroring: expected n·p ± k·sqrt(n·p·(1−p)).
 */
export function mirrorRange(n: number, p: number, k = 3): [number, number] {
  const mean = n * p;
  const sd = Math.sqrt(n * p * (1 - p));
  return [mean - k * sd, mean + k * sd];
}
