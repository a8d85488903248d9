export declare const external: string[];
export declare function buildAll(options?: { types?: boolean }): Promise<void>;
export declare const defines: Record<string, string>;
