import { z } from "zod";

/**
 * The spec's metadata (`{[key: string]: string}`). Not the generated `z.record`: it drops a
 * `"__proto__"` key, so metadata holding one would lose it (and a filter on it could never
 * match). The parsed JSON object is kept as is: its keys are own.
 */
export const metadataSchema = z.custom<Record<string, string>>(
  (value) => typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === "string"),
  { message: "expected an object of strings" },
);
