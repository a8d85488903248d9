// A real headless browser for the tests that check what a page looks like (report --html):
// Debian's chromium, started with nothing that reaches the network and a profile of its own.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';

const run = promisify(execFile);

/** The browser, or undefined: the tests that need it are then NOT RUN, naming what to install. */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
export const NO_CHROMIUM = CHROMIUM ? undefined : 'no chromium here: apt-get install chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--hide-scrollbars',
  '--force-device-scale-factor=1',
];

/** The page as the browser built it (its DOM after loading) and a screenshot of its first `height` pixels. */
export async function render(file: string, { width = 1100, height = 1400 } = {}): Promise<{ dom: string; png: PNG }> {
  const profile = await mkdtemp(join(tmpdir(), 'migrate-tool-chromium-'));
  try {
    const url = `file://${file}`;
    const browse = (extra: string[]) =>
      run(CHROMIUM!, [...FLAGS, `--user-data-dir=${profile}`, ...extra, url], { timeout: 90_000, maxBuffer: 32 << 20 });
    const { stdout: dom } = await browse(['--dump-dom']);
    const shot = join(profile, 'shot.png');
    await browse([`--window-size=${width},${height}`, `--screenshot=${shot}`]);
    return { dom, png: PNG.sync.read(await readFile(shot)) };
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

/**
 * Horizontal bars of one of `colors` (RGB, each channel within `tolerance`), top to bottom: each
 * band of at least `minHeight` rows holding such pixels is one bar, measured by its widest row.
 * (Shorter bands are the odd anti-aliased pixel of text.)
 */
export function bars(
  png: PNG,
  colors: Record<string, [number, number, number]>,
  { tolerance = 8, minHeight = 6 } = {},
): Array<{ color: string; width: number; height: number }> {
  const colorAt = (x: number, y: number) => {
    const i = (png.width * y + x) * 4;
    const px = [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
    return Object.keys(colors).find((name) => colors[name]!.every((c, k) => Math.abs(c - px[k]!) <= tolerance));
  };
  const found: Array<{ color: string; width: number; height: number }> = [];
  let current: { color: string; width: number; height: number } | undefined;
  for (let y = 0; y < png.height; y++) {
    const row = new Map<string, number>();
    for (let x = 0; x < png.width; x++) {
      const c = colorAt(x, y);
      if (c) row.set(c, (row.get(c) ?? 0) + 1);
    }
    const [color, width] = [...row].sort((a, b) => b[1] - a[1])[0] ?? [];
    if (!color) current = undefined;
    else if (current && current.color === color)
      Object.assign(current, { width: Math.max(current.width, width!), height: current.height + 1 });
    else found.push((current = { color, width: width!, height: 1 }));
  }
  return found.filter((b) => b.height >= minHeight);
}
