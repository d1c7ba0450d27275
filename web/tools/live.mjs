// Drive the live page of a running `selftalk serve` in headless Chromium whose fake microphone
// plays a WAV file, until the head has shown the frame at audio time --until (seconds).
// Usage: node tools/live.mjs --url http://127.0.0.1:PORT --audio FILE.wav --until S
//        [--timeout S] [--chromium PATH] [--shot FILE.png]
// Prints {names, history: [{index, time, weights: [52]}...], received, errors} as JSON:
// the morph-target weights the head showed, by the audio time of each frame.
import { chromium } from 'playwright-core';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []),
);
const until = Number(args.until || 10);
const timeout = Number(args.timeout || 180) * 1000;
const browser = await chromium.launch({
  executablePath: args.chromium || process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic',
    '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
    '--autoplay-policy=no-user-gesture-required',
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${args.audio}%noloop`],
});
const errors = [];
let result;
try {
  const page = await browser.newPage({ viewport: { width: 320, height: 360 } });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${args.url}/?autostart=1`);
  try {
    await page.waitForFunction(() => window.live && (window.live.state === 'live' || window.live.error), null, { timeout: 60000 });
  } catch (error) {
    const seen = await page.evaluate(() => ({ state: window.live && window.live.state, step: window.live && window.live.step, message: document.getElementById('message').textContent }));
    throw new Error(`the live page did not start: ${JSON.stringify(seen)}; errors: ${errors.join('; ')}`);
  }
  const error = await page.evaluate(() => window.live.error);
  if (error) throw new Error(`the live page failed: ${error}`);
  await page.waitForFunction((t) => {
    const h = window.live.history;
    return window.live.error || (h.length && h[h.length - 1].time >= t);
  }, until, { timeout, polling: 250 });
  if (args.shot) await page.screenshot({ path: args.shot });
  result = await page.evaluate(() => ({
    names: window.live.names, history: window.live.history, received: window.live.received, error: window.live.error,
  }));
} finally {
  await browser.close();
}
console.log(JSON.stringify({ ...result, errors }));
