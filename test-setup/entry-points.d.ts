/** See entry-points.js. `entryPoints`: each subpath of package.json `exports` and its runtime names, sorted. */
export declare function describeEntryPoints(srcDir: string, packageJson: { name: string; exports: Record<string, unknown> }, entryPoints: Record<string, readonly string[]>): void;
