// selftalk live: the bundled head (52 ARKit morph targets) driven by `selftalk serve`.
// Microphone: 16-bit PCM chunks go to the WebSocket /stream, ARKit frames come back and are
// shown on a steady clock a little behind the audio. File: POST /animate?format=json, then
// the weights play along with the audio. URL parameter autostart=1 starts the microphone.
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { createStage } from './stage.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const CHUNK_SECONDS = 0.02;
const { renderer, scene, camera, controls, resize, frame } = createStage($('viewport'));

const state = {
  mesh: null, names: [], state: 'loading', error: null,
  queue: [], delay: 0.15, startedAt: 0, received: 0, shown: -1, lateness: [], history: [],
  ws: null, audio: null, mic: null, clip: null,
};

function apply(names, row) {
  const dict = state.mesh.morphTargetDictionary;
  const influences = state.mesh.morphTargetInfluences;
  for (let i = 0; i < names.length; i++) {
    const j = dict[names[i]];
    if (j !== undefined) influences[j] = row[i];
  }
}

async function loadHead() {
  const gltf = await new GLTFLoader().loadAsync('/head.glb');
  gltf.scene.traverse((o) => { if (o.isMesh && o.morphTargetDictionary) state.mesh = o; });
  if (!state.mesh) throw new Error('the head has no morph targets');
  scene.add(gltf.scene);
  resize();
  frame([gltf.scene], 1.1);
  state.state = 'idle';
  $('mic').disabled = false;
  $('message').textContent = '';
}

// ---- live: microphone → WebSocket → frames on a steady clock -------------------------------

async function startMic() {
  if (state.mic) return;
  stopClip();
  state.state = 'starting';
  state.step = 'microphone';
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
  state.step = 'audio';
  const context = new AudioContext();
  if (context.state === 'suspended') await context.resume();
  await context.audioWorklet.addModule('capture-worklet.js');
  state.step = 'connecting';
  const source = context.createMediaStreamSource(stream);
  const node = new AudioWorkletNode(context, 'selftalk-capture');
  const mute = context.createGain();
  mute.gain.value = 0;
  source.connect(node).connect(mute).connect(context.destination);
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/stream`);
  state.mic = { stream, context, node, ws };
  Object.assign(state, { queue: [], received: 0, shown: -1, lateness: [], history: [], ws });
  const chunk = Math.round(context.sampleRate * CHUNK_SECONDS);
  let pending = new Int16Array(chunk);
  let filled = 0;
  ws.onopen = () => ws.send(JSON.stringify({ rate: context.sampleRate, format: 's16le' }));
  ws.onmessage = (event) => receive(JSON.parse(event.data));
  ws.onclose = (event) => {
    if (state.state === 'live') $('message').textContent = `The stream ended (${event.code} ${event.reason || ''})`;
    stopMic();
  };
  node.port.onmessage = (event) => {
    if (ws.readyState !== WebSocket.OPEN || state.state !== 'live') return;
    for (const x of event.data) {
      pending[filled++] = Math.max(-32768, Math.min(32767, Math.round(x * 32767)));
      if (filled === chunk) {
        ws.send(pending.buffer);
        pending = new Int16Array(chunk);
        filled = 0;
      }
    }
  };
  $('mic').textContent = 'Stop';
}

function receive(message) {
  if (message.type === 'ready') {
    state.names = message.names;
    state.fps = message.fps;
    state.delay = message.lookahead + 0.1;
    state.startedAt = performance.now() / 1000;
    state.state = 'live';
    $('status').textContent = `live · look-ahead ${(message.lookahead * 1000).toFixed(0)} ms`;
  } else if (message.type === 'frames') {
    const now = performance.now() / 1000;
    message.weights.forEach((row, i) => {
      const time = message.times[i];
      state.lateness.push(now - state.startedAt - time);
      state.queue.push({ index: message.start + i, time, row });
    });
    state.received += message.weights.length;
    if (state.lateness.length > 90) state.lateness.splice(0, state.lateness.length - 90);
    // show frames a steady delay behind the audio: the latest lateness seen, and a margin
    state.delay = Math.min(1.0, Math.max(...state.lateness) + 0.05);
  } else if (message.type === 'error') {
    state.error = message.message;
    $('message').textContent = `Server: ${message.message}`;
  }
}

function stopMic() {
  const mic = state.mic;
  if (!mic) return;
  state.mic = null;
  if (mic.ws.readyState === WebSocket.OPEN) mic.ws.send(JSON.stringify({ type: 'end' }));
  mic.stream.getTracks().forEach((t) => t.stop());
  mic.context.close();
  if (state.state === 'live') state.state = 'idle';
  $('mic').textContent = 'Start microphone';
  $('status').textContent = '';
}

function showLive() {
  const clock = performance.now() / 1000 - state.startedAt - state.delay;
  let frame = null;
  while (state.queue.length && state.queue[0].time <= clock) frame = state.queue.shift();
  if (frame) {
    apply(state.names, frame.row);
    state.shown = frame.index;
    // what the head showed, by the audio time of the frame (the last 3000 frames)
    state.history.push({ index: frame.index, time: frame.time, weights: frame.row });
    if (state.history.length > 3000) state.history.shift();
  }
}

// ---- a file: POST it, play the weights along with the audio ---------------------------------

async function animateFile(file) {
  stopMic();
  stopClip();
  $('message').textContent = 'Animating…';
  const response = await fetch('/animate?format=json', { method: 'POST', body: file });
  const body = await response.json();
  if (!response.ok) { $('message').textContent = `Server: ${body.error}`; return; }
  $('message').textContent = '';
  const audio = new Audio(URL.createObjectURL(file));
  state.clip = { audio, curves: body };
  state.state = 'file';
  await audio.play().catch(() => { $('message').textContent = 'Press play: the browser blocked audio.'; });
  audio.addEventListener('ended', stopClip);
}

function stopClip() {
  if (!state.clip) return;
  state.clip.audio.pause();
  state.clip = null;
  if (state.state === 'file') state.state = 'idle';
}

function showClip() {
  const { audio, curves } = state.clip;
  const index = Math.min(curves.weights.length - 1, Math.floor(audio.currentTime * curves.fps));
  if (index >= 0) apply(curves.names, curves.weights[index]);
}

function tick() {
  if (state.mesh) {
    if (state.mic) showLive();
    else if (state.clip) showClip();
  }
  controls.update();
  renderer.render(scene, camera);
  requestAnimationFrame(tick);
}

function fail(error) {
  state.error = String(error && error.message ? error.message : error);
  $('message').textContent = `Error: ${state.error}`;
}

$('mic').addEventListener('click', () => (state.mic ? stopMic() : startMic().catch(fail)));
$('file').addEventListener('change', (e) => e.target.files[0] && animateFile(e.target.files[0]).catch(fail));

// A small API for scripts and tests.
window.live = {
  get state() { return state.state; },
  get step() { return state.step; },
  get error() { return state.error; },
  get received() { return state.received; },
  get shown() { return state.shown; },
  get delay() { return state.delay; },
  get names() { return state.names; },
  get history() { return state.history; },
  weights() {
    if (!state.mesh) return {};
    const out = {};
    for (const [name, j] of Object.entries(state.mesh.morphTargetDictionary)) out[name] = state.mesh.morphTargetInfluences[j];
    return out;
  },
  startMic, stopMic, animateFile,
};

resize();
requestAnimationFrame(tick);
loadHead()
  .then(() => (params.get('autostart') === '1' ? startMic() : undefined))
  .catch(fail);
