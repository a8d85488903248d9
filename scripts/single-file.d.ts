export declare const SINGLE_FILE_ASSETS: Array<{ pkg: string; from: string; dependency?: string }>;
/** Writes the single-file CLI at `outfile` (relative to `root`) with its assets beside it; returns its path. */
export declare function buildSingleFile(options: { root: string; outfile?: string }): Promise<string>;
