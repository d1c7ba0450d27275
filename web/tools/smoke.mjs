// Play a .glb in the built page in headless Chromium and screenshot the canvas twice.
// Usage: node tools/smoke.mjs --glb FILE.glb --out DIR [--chromium PATH] [--gap MS] [--at A,B]
// Reads the player's clock twice, GAP ms apart, while it plays; then pauses it at A and at B
// seconds (default 1,1.25) and screenshots the canvas at each, so the two pictures show known
// moments of the clip however slowly the screenshots are taken.
// Writes DIR/first.png, DIR/second.png and prints {t1, t2, duration, errors} as JSON.
import { createServer } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []),
);
const glb = resolve(args.glb);
const out = resolve(args.out);
const gap = Number(args.gap || 800);
const [atFirst, atSecond] = (args.at || '1,1.25').split(',').map(Number);
const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
if (!existsSync(join(dist, 'index.html'))) throw new Error('web/dist is missing: run `npm run build`');

const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css',
  '.glb': 'model/gltf-binary', '.vrm': 'model/gltf-binary', '.gltf': 'model/gltf+json', '.wav': 'audio/wav' };
const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const [root, rel] = url.pathname.startsWith('/data/')
    ? [dirname(glb), url.pathname.slice(6)] : [dist, url.pathname.slice(1) || 'index.html'];
  const file = normalize(join(root, decodeURIComponent(rel)));
  if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404); res.end(); return;
  }
  res.writeHead(200, { 'content-type': types[extname(file)] || 'application/octet-stream' });
  createReadStream(file).pipe(res);
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const port = server.address().port;

const browser = await chromium.launch({
  executablePath: args.chromium || process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic',
    '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
    '--autoplay-policy=no-user-gesture-required'],
});
const errors = [];
let result;
try {
  const page = await browser.newPage({ viewport: { width: 480, height: 528 } });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); });
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${new URL(r.url()).pathname}`); });
  await page.goto(`http://127.0.0.1:${port}/?glb=/data/${encodeURIComponent(basename(glb))}&autoplay=1`);
  await page.waitForFunction(() => window.player && (window.player.ready || window.player.error), null, { timeout: 30000 });
  const loadError = await page.evaluate(() => window.player.error);
  if (loadError) throw new Error(`page could not load the glb: ${loadError}`);
  await page.waitForFunction(() => window.player.time() > 0.1, null, { timeout: 30000 });
  const canvas = page.locator('#viewport canvas');
  const t1 = await page.evaluate(() => window.player.time());
  await page.waitForTimeout(gap);
  const t2 = await page.evaluate(() => window.player.time());
  const showAt = (t) => page.evaluate((at) => {
    window.player.pause();
    window.player.seek(at);
    return new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  }, t);
  await showAt(atFirst);
  await canvas.screenshot({ path: join(out, 'first.png') });
  await showAt(atSecond);
  await canvas.screenshot({ path: join(out, 'second.png') });
  const duration = await page.evaluate(() => window.player.duration);
  result = { t1, t2, duration, errors };
} finally {
  await browser.close();
  server.close();
}
console.log(JSON.stringify(result));
