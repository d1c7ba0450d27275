// The stage both pages share: renderer, scene, camera with its lights, orbit controls, and
// framing of a mesh from the front (+Z), filling the view, like the Python renderer's camera.
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';

export function createStage(viewport) {
  const renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
  renderer.setPixelRatio(window.devicePixelRatio);
  viewport.appendChild(renderer.domElement);
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0xf4f4f6);
  const camera = new THREE.PerspectiveCamera(18, 1, 0.01, 100);
  scene.add(camera);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x444450, 0.9));
  const key = new THREE.DirectionalLight(0xffffff, 1.8);
  key.position.set(-0.45, 0.55, 1.0);
  camera.add(key); // lights follow the camera, as in the Python renderer
  const fill = new THREE.DirectionalLight(0xffffff, 0.6);
  fill.position.set(0.65, 0.05, 0.75);
  camera.add(fill);
  const controls = new OrbitControls(camera, renderer.domElement);

  function resize() {
    const box = viewport.getBoundingClientRect();
    renderer.setSize(box.width, box.height, false);
    renderer.domElement.style.width = `${box.width}px`;
    renderer.domElement.style.height = `${box.height}px`;
    camera.aspect = box.width / Math.max(box.height, 1);
    camera.updateProjectionMatrix();
  }
  window.addEventListener('resize', resize);

  function frame(objects, margin = 1.08) {
    const box = new THREE.Box3();
    for (const object of objects) box.expandByObject(object);
    const size = box.getSize(new THREE.Vector3());
    const centre = box.getCenter(new THREE.Vector3());
    const tanY = Math.tan(THREE.MathUtils.degToRad(camera.fov / 2));
    const tanX = tanY * camera.aspect;
    const distance = size.z / 2 + margin * Math.max(size.x / 2 / tanX, size.y / 2 / tanY);
    camera.position.set(centre.x, centre.y, centre.z + distance);
    camera.near = distance / 50;
    camera.far = distance * 50;
    camera.updateProjectionMatrix();
    controls.target.copy(centre);
    controls.update();
  }

  return { renderer, scene, camera, controls, resize, frame };
}
