/** Summary of one set of samples (milliseconds, or any unit). */
export interface Summary {
  n: number;
  median: number;
  p95: number;
  min: number;
  max: number;
  q1: number;
  q3: number;
  /** Interquartile range, q3 - q1: the spread that ignores the odd outlier. */
  iqr: number;
  mean: number;
}

/**
 * Percentile with linear interpolation between closest ranks (the R-7 / numpy default),
 * so small sample counts still give a stable p95.
 *
 * @example
 * ```ts
 * percentile([1, 2, 3, 4], 50); // 2.5
 * ```
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo] ?? Number.NaN;
  const b = sorted[hi] ?? Number.NaN;
  return a + (b - a) * (rank - lo);
}

/**
 * Median, p95, min/max and IQR of a sample set.
 *
 * @example
 * ```ts
 * summarize([3, 1, 2]).median; // 2
 * ```
 */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) {
    return { n: 0, median: Number.NaN, p95: Number.NaN, min: Number.NaN, max: Number.NaN, q1: Number.NaN, q3: Number.NaN, iqr: Number.NaN, mean: Number.NaN };
  }
  const q1 = percentile(values, 25);
  const q3 = percentile(values, 75);
  return {
    n: values.length,
    median: percentile(values, 50),
    p95: percentile(values, 95),
    min: Math.min(...values),
    max: Math.max(...values),
    q1,
    q3,
    iqr: q3 - q1,
    mean: values.reduce((s, v) => s + v, 0) / values.length,
  };
}

/** Round for display/JSON without losing what matters in a benchmark (3 significant decimals). */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
