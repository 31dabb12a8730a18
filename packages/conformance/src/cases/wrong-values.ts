// Wrong-typed values for the argument-type fuzz (types.ts): for each kind of argument, values
// that are not of its type, built fresh for every call (a value may be a one-shot object).

/** A labelled wrong value; `make` builds a fresh one per call. */
export interface WrongValue {
  label: string;
  make: () => unknown;
}

/** Small seeded PRNG (mulberry32): the same seed gives the same cases, so a failure can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function withThrowingGetter(key: string): object {
  const value = {};
  Object.defineProperty(value, key, {
    enumerable: true,
    get() {
      throw new Error(`getter ${key} ran`);
    },
  });
  return value;
}

const v = (label: string, make: () => unknown): WrongValue => ({ label, make });

/** Everything that is not a string, a number, a boolean, an array or a plain object. */
const EXOTIC: readonly WrongValue[] = [
  v("null", () => null),
  v("function", () => () => "x"),
  v("symbol", () => Symbol("x")),
  v("bigint 1n", () => 1n),
  v("new String('x')", () => new String("x")),
  v("new Number(1)", () => new Number(1)),
  v("new Boolean(true)", () => new Boolean(true)),
  v("Date", () => new Date(0)),
  v("Map", () => new Map([["a", "b"]])),
  v("Promise", () => Promise.resolve("x")),
  v("Uint16Array", () => new Uint16Array(2)),
  v("ArrayBuffer", () => new ArrayBuffer(2)),
];

const NUMBERS: readonly WrongValue[] = [
  v("0", () => 0),
  v("-1", () => -1),
  v("1.5", () => 1.5),
  v("NaN", () => NaN),
  v("Infinity", () => Infinity),
  v("-Infinity", () => -Infinity),
  v("2**53", () => 2 ** 53),
];

const BAD_NUMBERS: readonly WrongValue[] = NUMBERS.filter((n) => n.label !== "0");

const BOOLEANS: readonly WrongValue[] = [v("true", () => true), v("false", () => false)];
const STRINGS: readonly WrongValue[] = [v('"x"', () => "x"), v('"1"', () => "1")];
const ARRAYS: readonly WrongValue[] = [v("[]", () => []), v('["x"]', () => ["x"]), v("[1]", () => [1])];
const OBJECTS: readonly WrongValue[] = [
  v("{}", () => ({})),
  v("{ x: 1 }", () => ({ x: 1 })),
  v("object with a throwing getter", () => withThrowingGetter("x")),
  v("{ signal: {} }", () => ({ signal: {} })),
];

/** Every kind of argument a service method takes. */
export type ArgKind =
  | "string"
  | "argv"
  | "content"
  | "integer"
  | "boolean"
  | "nameOrId"
  | "record"
  | "signal"
  | "statuses"
  | { options: Readonly<Record<string, ArgKind>>; strictKeys: boolean; orBoolean?: boolean };

/** Wrong values for a kind (not of its type, or a number its type cannot hold). */
export function wrongValues(kind: ArgKind): WrongValue[] {
  if (typeof kind === "object") {
    const values = wrongOptions(kind.options, kind.strictKeys);
    // A boolean-or-options argument (createDirectory's `recursive`): a boolean is right.
    return kind.orBoolean ? values.filter((w) => typeof w.make() !== "boolean") : values;
  }
  switch (kind) {
    case "string":
      return [...EXOTIC, ...NUMBERS, ...BOOLEANS, ...ARRAYS, ...OBJECTS];
    case "argv":
      return [
        ...EXOTIC,
        ...NUMBERS,
        ...BOOLEANS,
        ...STRINGS,
        ...OBJECTS,
        v("[1]", () => [1]),
        v("[null]", () => [null]),
        v('["echo", 5]', () => ["echo", 5]),
        v('[["echo"]]', () => [["echo"]]),
        v('[new String("echo")]', () => [new String("echo")]),
        v("sparse array of length 2", () => new Array<string>(2)),
        v('["true", <hole>]', () => {
          const argv = ["true"];
          argv.length = 2;
          return argv;
        }),
        v("array with a throwing getter", () => {
          const argv = ["true"];
          Object.defineProperty(argv, 0, {
            get() {
              throw new Error("getter ran");
            },
          });
          return argv;
        }),
      ];
    case "content":
      return [...EXOTIC, ...NUMBERS, ...BOOLEANS, ...ARRAYS, ...OBJECTS];
    case "integer":
      return [...EXOTIC, ...BAD_NUMBERS, ...BOOLEANS, ...STRINGS, ...ARRAYS, ...OBJECTS];
    case "boolean":
      return [...EXOTIC, ...NUMBERS, ...STRINGS, ...ARRAYS, ...OBJECTS];
    case "nameOrId":
      return [...EXOTIC, ...BAD_NUMBERS, ...BOOLEANS, ...ARRAYS, ...OBJECTS];
    case "record":
      return [
        ...EXOTIC,
        ...NUMBERS,
        ...BOOLEANS,
        ...STRINGS,
        ...ARRAYS,
        v("{ A: 5 }", () => ({ A: 5 })),
        v("{ A: null }", () => ({ A: null })),
        v("{ A: {} }", () => ({ A: {} })),
        v('{ A: ["x"] }', () => ({ A: ["x"] })),
        v("{ A: 1n }", () => ({ A: 1n })),
        v("{ A: <throwing getter> }", () => withThrowingGetter("A")),
        v("record with a symbol key", () => ({ [Symbol("k")]: "x" })),
        v("Object.create({ A: 5 })", () => Object.create({ A: 5 }) as object),
      ];
    case "signal":
      return [
        ...EXOTIC,
        ...NUMBERS,
        ...BOOLEANS,
        ...STRINGS,
        ...ARRAYS,
        v("{}", () => ({})),
        v("{ aborted: false }", () => ({ aborted: false, addEventListener() {}, removeEventListener() {} })),
        v("EventTarget", () => new EventTarget()),
        v("AbortController", () => new AbortController()),
      ];
    case "statuses":
      return [...EXOTIC, ...NUMBERS, ...BOOLEANS, ...OBJECTS, v("[5]", () => [5]), v("[null]", () => [null]), v('["ready", 5]', () => ["ready", 5]), v('[["ready"]]', () => [["ready"]])];
  }
}

function wrongOptions(fields: Readonly<Record<string, ArgKind>>, strictKeys: boolean): WrongValue[] {
  const values: WrongValue[] = [
    ...EXOTIC,
    ...NUMBERS,
    ...BOOLEANS,
    ...STRINGS,
    ...ARRAYS,
    // Only an options object whose every key is known: an unknown key is a typo or an attack.
    ...(strictKeys
      ? [
          v("{ x: 1 }", () => ({ x: 1 })),
          v("{ constructor: 5 }", () => ({ constructor: 5 })),
          v('JSON {"__proto__": {...}}', () => JSON.parse('{"__proto__": {"timeoutMs": "x"}}') as unknown),
          v("{ toString: 'x' }", () => ({ toString: "x" })),
        ]
      : []),
    ...(strictKeys || "signal" in fields ? [v("{ signal: {} }", () => ({ signal: {} }))] : []),
  ];
  for (const [field, kind] of Object.entries(fields)) {
    values.push(v(`{ ${field}: <throwing getter> }`, () => withThrowingGetter(field)));
    for (const wrong of wrongValues(kind)) values.push(v(`{ ${field}: ${wrong.label} }`, () => ({ [field]: wrong.make() })));
  }
  return values;
}
