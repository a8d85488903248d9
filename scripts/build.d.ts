export declare const external: string[];
export declare function buildAll(options?: { types?: boolean }): Promise<void>;
