// selftalk player: plays a .glb morph-target animation (from `selftalk export`, or an avatar
// .glb/.vrm/.gltf from `selftalk animate --avatar`) with its audio.
// URL parameters: glb=<url> (the file), audio=<url> (default: the animation's extras.audio or
// asset.extras.audio, beside the file), autoplay=1. The audio clock drives the animation, so
// lips stay in sync. It plays selftalk's animation (extras.selftalk) when the file has several,
// and frames the meshes that animation moves (the face of a full-body avatar).
import * as THREE from 'three';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { createStage } from './stage.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const { renderer, scene, camera, controls, resize, frame } = createStage($('viewport'));

const state = {
  model: null, mixer: null, duration: 0, audio: null,
  playing: false, audioStarting: false, clockStart: 0, clockOffset: 0, time: 0, ready: false, error: null,
};

async function animatedObjects(gltf, animation) {
  // The nodes whose morph weights the animation drives (the face, not the whole body).
  if (!animation) return [];
  const nodes = new Set(animation.channels.filter((c) => c.target.path === 'weights').map((c) => c.target.node));
  return Promise.all([...nodes].map((n) => gltf.parser.getDependency('node', n)));
}

function clear() {
  pause();
  if (state.model) scene.remove(state.model);
  if (state.audio) state.audio.src = '';
  Object.assign(state, { model: null, mixer: null, duration: 0, audio: null, time: 0, ready: false });
}

async function load(glbUrl, audioUrl) {
  clear();
  $('message').textContent = 'Loading…';
  const gltf = await new GLTFLoader().loadAsync(glbUrl);
  const json = gltf.parser.json;
  state.model = gltf.scene;
  if (json.extensions && json.extensions.VRM) gltf.scene.rotation.y = Math.PI; // VRM 0.x faces -Z
  scene.add(gltf.scene);
  gltf.scene.updateMatrixWorld(true);
  resize();
  const animations = json.animations || [];
  let index = animations.findIndex((a) => a.extras && a.extras.selftalk);
  if (index < 0) index = 0;
  const moved = await animatedObjects(gltf, animations[index]);
  frame(moved.length ? moved : [gltf.scene]);
  if (gltf.animations.length) {
    state.mixer = new THREE.AnimationMixer(gltf.scene);
    const clip = gltf.animations[index];
    state.mixer.clipAction(clip).play();
    state.duration = clip.duration;
  }
  const extras = { ...((gltf.asset && gltf.asset.extras) || {}), ...((animations[index] || {}).extras || {}) };
  if (!audioUrl && extras.audio) audioUrl = new URL(extras.audio, new URL(glbUrl, location.href)).href;
  if (audioUrl) {
    state.audio = new Audio(audioUrl);
    state.audio.preload = 'auto';
    state.audio.addEventListener('ended', pause);
  }
  $('play').disabled = $('seek').disabled = !state.mixer;
  $('seek').max = String(state.duration);
  $('message').textContent = state.mixer ? '' : 'This file has no animation.';
  seek(0);
  state.ready = true;
}

function now() {
  if (!state.playing) return state.time;
  if (state.audioStarting) return state.clockOffset; // hold the face until the sound starts
  const audio = state.audio;
  if (audio && !audio.paused && audio.readyState >= 2) return audio.currentTime;
  return state.clockOffset + (performance.now() - state.clockStart) / 1000;
}

async function play() {
  if (!state.mixer || state.playing) return;
  if (state.time >= state.duration) seek(0);
  state.playing = true;
  state.clockStart = performance.now();
  state.clockOffset = state.time;
  $('play').textContent = 'Pause';
  if (state.audio) {
    state.audio.currentTime = state.time;
    state.audioStarting = true;
    try {
      await state.audio.play();
    } catch (error) { // autoplay blocked or no audio device: the wall clock keeps time
      if (state.playing) $('message').textContent = 'Audio blocked by the browser: press Play for sound.';
    } finally {
      state.audioStarting = false;
      state.clockStart = performance.now(); // the wall clock starts where the sound did
    }
  }
}

function pause() {
  if (!state.playing) return;
  state.time = now();
  state.playing = false;
  if (state.audio) state.audio.pause();
  $('play').textContent = 'Play';
}

function seek(t) {
  state.time = Math.min(Math.max(t, 0), state.duration);
  state.clockStart = performance.now();
  state.clockOffset = state.time;
  if (state.audio && state.audio.readyState >= 1) state.audio.currentTime = state.time;
  if (state.mixer) state.mixer.setTime(state.time);
}

function tick() {
  if (state.mixer) {
    let t = now();
    if (t >= state.duration) { t = state.duration; if (state.playing) pause(); }
    state.time = t;
    state.mixer.setTime(t);
    $('seek').value = String(t);
    $('time').textContent = `${t.toFixed(2)} / ${state.duration.toFixed(2)} s`;
  }
  controls.update();
  renderer.render(scene, camera);
  requestAnimationFrame(tick);
}

$('play').addEventListener('click', () => (state.playing ? pause() : play()));
$('seek').addEventListener('input', (e) => seek(Number(e.target.value)));

function openFiles(files) {
  const list = Array.from(files);
  const glb = list.find((f) => /\.(glb|vrm|gltf)$/i.test(f.name));
  const audio = list.find((f) => f !== glb && (f.type.startsWith('audio/') || /\.(wav|mp3|ogg|m4a|flac)$/i.test(f.name)));
  if (!glb) { $('message').textContent = 'Choose a .glb, .vrm or .gltf file (and optionally its audio).'; return; }
  load(URL.createObjectURL(glb), audio ? URL.createObjectURL(audio) : null).catch(fail);
}
$('files').addEventListener('change', (e) => openFiles(e.target.files));
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => { e.preventDefault(); openFiles(e.dataTransfer.files); });

function fail(error) {
  state.error = String(error && error.message ? error.message : error);
  $('message').textContent = `Could not load: ${state.error}`;
}

// A small API for scripts and tests.
window.player = {
  get ready() { return state.ready; },
  get error() { return state.error; },
  get duration() { return state.duration; },
  get playing() { return state.playing; },
  time: () => state.time,
  play, pause, seek, load,
};

resize();
requestAnimationFrame(tick);
if (params.get('glb')) {
  load(params.get('glb'), params.get('audio'))
    .then(() => (params.get('autoplay') === '1' ? play() : undefined))
    .catch(fail);
}
