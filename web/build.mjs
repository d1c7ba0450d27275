// Build the static player into dist/: the page, its script, and the three.js modules it
// imports, copied from node_modules (no CDN, no bundler). Relative imports of the copied
// modules are followed, so exactly the files the page needs are copied.
import { copyFileSync, mkdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const three = join(here, 'node_modules', 'three');
const dist = join(here, 'dist');
const entries = [
  'build/three.module.js',
  'examples/jsm/loaders/GLTFLoader.js',
  'examples/jsm/controls/OrbitControls.js',
];

if (!existsSync(three)) {
  console.error('three is not installed: run `npm ci` in web/ first');
  process.exit(1);
}
rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'vendor', 'three'), { recursive: true });

const seen = new Set();
const queue = entries.map((e) => join(three, e));
while (queue.length) {
  const file = queue.pop();
  if (seen.has(file)) continue;
  seen.add(file);
  const target = join(dist, 'vendor', 'three', relative(three, file));
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(file, target);
  const source = readFileSync(file, 'utf8');
  for (const match of source.matchAll(/(?:import|export)[^'"]*?from\s*['"](\.[^'"]+)['"]/g)) {
    queue.push(resolve(dirname(file), match[1]));
  }
}
copyFileSync(join(three, 'LICENSE'), join(dist, 'vendor', 'three', 'LICENSE'));
for (const name of ['index.html', 'player.js', 'player.css', 'live.html', 'live.js', 'stage.js', 'capture-worklet.js']) {
  copyFileSync(join(here, 'src', name), join(dist, name));
}
console.log(`built ${relative(process.cwd(), dist) || dist}: page + ${seen.size} three.js modules`);
