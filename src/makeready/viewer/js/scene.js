// The 3D views: a part with heat maps, problems, regions, supports and orientations (PartView),
// and a tray on its printer's build plate (TrayView). three.js, Z up, millimetres.
import * as THREE from '../vendor/three.min.js';

export const PROBLEM_COLOURS = {
  holes: '#d62728',
  nonmanifold_vertices: '#9467bd',
  duplicate_vertices: '#8c564b',
  degenerate_triangles: '#e377c2',
  duplicate_triangles: '#ff7f0e',
  inconsistently_oriented_triangles: '#17becf',
  inverted_volume: '#bcbd22',
  unorientable_triangles: '#1f77b4',
  self_intersections: '#ff1493',
};

export const PROBLEM_TITLES = {
  holes: 'Holes',
  nonmanifold_vertices: 'Non-manifold vertices',
  duplicate_vertices: 'Duplicate vertices',
  degenerate_triangles: 'Degenerate triangles',
  duplicate_triangles: 'Duplicate triangles',
  inconsistently_oriented_triangles: 'Inconsistently oriented triangles',
  inverted_volume: 'Inverted volume',
  unorientable_triangles: 'Unorientable triangles',
  self_intersections: 'Self-intersections',
};

const PLAIN = new THREE.Color('#9fb3c8');
const OVERHANG = new THREE.Color('#e4572e');
const UNMEASURED = new THREE.Color('#b0b0b0');
// Thin (red) to thick (blue); the legend draws the same stops.
export const RAMP = ['#b2182b', '#ef8a62', '#fddbc7', '#d1e5f0', '#67a9cf', '#2166ac'];
const RAMP_COLOURS = RAMP.map((c) => new THREE.Color(c));

export function rampColour(t, target) {
  const x = Math.min(1, Math.max(0, t)) * (RAMP_COLOURS.length - 1);
  const i = Math.min(RAMP_COLOURS.length - 2, Math.floor(x));
  return target.copy(RAMP_COLOURS[i]).lerp(RAMP_COLOURS[i + 1], x - i);
}

/** A renderer, camera, orbit controls and lights in a container; renders on demand. */
class View {
  constructor(container) {
    this.container = container;
    this.renderer = new THREE.WebGLRenderer({ antialias: true, alpha: true });
    this.renderer.setPixelRatio(Math.min(2, window.devicePixelRatio || 1));
    this.renderer.localClippingEnabled = true;
    container.append(this.renderer.domElement);
    this.scene = new THREE.Scene();
    this.camera = new THREE.PerspectiveCamera(35, 1, 0.1, 1e6);
    this.camera.up.set(0, 0, 1);
    this.controls = new THREE.OrbitControls(this.camera, this.renderer.domElement);
    this.controls.addEventListener('change', () => this.render());
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x8899aa, 2.2));
    const sun = new THREE.DirectionalLight(0xffffff, 1.6);
    sun.position.set(1, -1.5, 2);
    this.camera.add(sun);
    this.scene.add(this.camera);
    new ResizeObserver(() => this.resize()).observe(container);
    this.resize();
  }

  resize() {
    const { clientWidth: w, clientHeight: h } = this.container;
    if (!w || !h) return;
    this.renderer.setSize(w, h);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    this.render();
  }

  render() {
    this.renderer.render(this.scene, this.camera);
  }

  /** Look at a sphere (centre, radius) from the front-right, above. */
  frame(centre, radius, direction = new THREE.Vector3(1, -1.3, 0.9)) {
    const distance = (Math.max(radius, 1e-3) / Math.sin(THREE.MathUtils.degToRad(this.camera.fov / 2))) * 1.15;
    this.camera.near = distance / 1000;
    this.camera.far = distance * 100;
    this.camera.updateProjectionMatrix();
    this.controls.target.copy(centre);
    this.camera.position.copy(centre).addScaledVector(direction.clone().normalize(), distance);
    this.controls.update();
    this.render();
  }

  /** Glide the camera to look at `centre` from `radius`-based distance, keeping the direction. */
  flyTo(centre, radius) {
    const direction = this.camera.position.clone().sub(this.controls.target).normalize();
    const distance = (Math.max(radius, 1) / Math.sin(THREE.MathUtils.degToRad(this.camera.fov / 2))) * 1.6;
    const fromTarget = this.controls.target.clone();
    const fromCamera = this.camera.position.clone();
    const toCamera = centre.clone().addScaledVector(direction, distance);
    const started = performance.now();
    const step = (now) => {
      const t = Math.min(1, (now - started) / 450);
      const ease = t * t * (3 - 2 * t);
      this.controls.target.lerpVectors(fromTarget, centre, ease);
      this.camera.position.lerpVectors(fromCamera, toCamera, ease);
      this.controls.update();
      if (t < 1) requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  }

  clear(group) {
    group.traverse((object) => {
      if (object.geometry) object.geometry.dispose();
      if (object.material) object.material.dispose();
    });
    group.clear();
  }
}

/** Non-indexed triangles (one colour per face) from indexed positions. */
function faceGeometry(positions, faces) {
  const m = faces.length / 3;
  const flat = new Float32Array(m * 9);
  for (let i = 0; i < faces.length; i += 1) {
    const v = faces[i] * 3;
    flat[i * 3] = positions[v];
    flat[i * 3 + 1] = positions[v + 1];
    flat[i * 3 + 2] = positions[v + 2];
  }
  const geometry = new THREE.BufferGeometry();
  geometry.setAttribute('position', new THREE.BufferAttribute(flat, 3));
  geometry.setAttribute('color', new THREE.BufferAttribute(new Float32Array(m * 9), 3));
  geometry.computeVertexNormals();
  geometry.computeBoundingSphere();
  return geometry;
}

function indexedGeometry(positions, faces) {
  const geometry = new THREE.BufferGeometry();
  geometry.setAttribute('position', new THREE.BufferAttribute(positions, 3));
  geometry.setIndex(new THREE.BufferAttribute(faces, 1));
  geometry.computeVertexNormals();
  geometry.computeBoundingSphere();
  return geometry;
}

const vec = (p) => new THREE.Vector3(p[0], p[1], p[2]);

/** Where each problem location is, and what to draw for it. */
export function problemLocations(problem) {
  const spots = [];
  for (const t of problem.triangles || []) {
    const points = [vec(t.v0), vec(t.v1), vec(t.v2)];
    spots.push({ points, kind: 'triangle' });
  }
  for (const e of problem.edges || []) spots.push({ points: [vec(e.v0), vec(e.v1)], kind: 'edge' });
  for (const loop of problem.boundaries || []) spots.push({ points: loop.map(vec), kind: 'loop' });
  for (const v of problem.vertices || []) spots.push({ points: [vec(v)], kind: 'vertex' });
  return spots.map((spot) => {
    const sphere = new THREE.Sphere().setFromPoints(spot.points);
    return { ...spot, centre: sphere.center, radius: sphere.radius };
  });
}

export class PartView extends View {
  constructor(container) {
    super(container);
    this.part = new THREE.Group(); // the part and everything on it, in part coordinates
    this.placed = new THREE.Group(); // orientation: part -> machine coordinates, on the plate
    this.supports = new THREE.Group(); // supports: already in machine coordinates
    this.overlays = new THREE.Group();
    this.thin = new THREE.Group();
    this.markers = new THREE.Group();
    this.part.add(this.overlays, this.thin);
    this.placed.add(this.part, this.supports);
    this.placed.matrixAutoUpdate = false;
    this.scene.add(this.placed, this.markers);
    this.section = new THREE.Plane(new THREE.Vector3(0, 0, -1), 0);
    this.clipping = [];
    this.colour = 'plain';
  }

  show(display) {
    this.clear(this.part);
    this.part.add(this.overlays, this.thin);
    this.clear(this.overlays);
    this.clear(this.thin);
    this.clear(this.supports);
    this.clear(this.markers);
    this.display = display;
    const { arrays, meta } = display;
    const geometry = faceGeometry(arrays.positions, arrays.faces);
    this.material = new THREE.MeshStandardMaterial({
      vertexColors: true, roughness: 0.75, metalness: 0.05, side: THREE.FrontSide,
      clippingPlanes: this.clipping,
    });
    this.mesh = new THREE.Mesh(geometry, this.material);
    // Inside faces show through a cut in a dark red: reads as the section's cap.
    this.inside = new THREE.Mesh(geometry, new THREE.MeshBasicMaterial({ color: '#7a1f1f', side: THREE.BackSide, clippingPlanes: this.clipping }));
    this.wire = new THREE.LineSegments(new THREE.WireframeGeometry(geometry), new THREE.LineBasicMaterial({ color: '#334', transparent: true, opacity: 0.25, clippingPlanes: this.clipping }));
    this.wire.visible = false;
    this.inside.visible = false;
    this.part.add(this.mesh, this.inside, this.wire);
    this.radius = geometry.boundingSphere.radius;
    this.buildProblems(meta.problems || []);
    this.buildThin(meta.thickness || {});
    if (arrays.support_positions && arrays.support_faces && arrays.support_faces.length) {
      this.supports.add(new THREE.Mesh(
        indexedGeometry(arrays.support_positions, arrays.support_faces),
        new THREE.MeshStandardMaterial({ color: '#f2b134', roughness: 0.9, transparent: true, opacity: 0.85, clippingPlanes: this.clipping }),
      ));
    }
    this.supports.visible = false;
    this.setColour(this.colour);
    this.orient(null);
    this.reset();
  }

  buildProblems(problems) {
    this.problemSpots = {};
    for (const problem of problems) {
      const colour = PROBLEM_COLOURS[problem.type] || '#ff00ff';
      const spots = problemLocations(problem);
      this.problemSpots[problem.type] = spots;
      const tris = spots.filter((s) => s.kind === 'triangle').flatMap((s) => s.points);
      if (tris.length) {
        const g = new THREE.BufferGeometry().setFromPoints(tris);
        this.overlays.add(new THREE.Mesh(g, new THREE.MeshBasicMaterial({ color: colour, side: THREE.DoubleSide, depthTest: false, transparent: true, opacity: 0.8, clippingPlanes: this.clipping })));
      }
      const segments = [];
      for (const s of spots) {
        if (s.kind === 'edge') segments.push(...s.points);
        if (s.kind === 'loop') s.points.forEach((p, i) => segments.push(p, s.points[(i + 1) % s.points.length]));
      }
      if (segments.length) {
        const g = new THREE.BufferGeometry().setFromPoints(segments);
        this.overlays.add(new THREE.LineSegments(g, new THREE.LineBasicMaterial({ color: colour, depthTest: false, clippingPlanes: this.clipping })));
      }
      const points = spots.filter((s) => s.kind === 'vertex').flatMap((s) => s.points);
      if (points.length) {
        const g = new THREE.BufferGeometry().setFromPoints(points);
        this.overlays.add(new THREE.Points(g, new THREE.PointsMaterial({ color: colour, size: 7, sizeAttenuation: false, depthTest: false, clippingPlanes: this.clipping })));
      }
    }
    this.overlays.renderOrder = 2;
  }

  buildThin(thickness) {
    const regions = [...(thickness.thin_walls || []), ...(thickness.narrow_gaps || [])];
    const size = this.radius * 0.018;
    for (const region of regions) {
      const marker = new THREE.Mesh(
        new THREE.SphereGeometry(size, 12, 8),
        new THREE.MeshBasicMaterial({ color: region.kind === 'thin_wall' ? '#b2182b' : '#6a3d9a', depthTest: false, transparent: true, opacity: 0.9 }),
      );
      marker.position.copy(vec(region.worst));
      marker.renderOrder = 3;
      this.thin.add(marker);
    }
  }

  /** Per-face colours: plain, thickness or gap heat map (mm), or overhang flags. */
  setColour(mode) {
    this.colour = mode;
    if (!this.mesh) return null;
    const { face_thickness: thick, face_gap: gap, face_flags: flags } = this.display.arrays;
    const th = this.display.meta.thickness || {};
    const colours = this.mesh.geometry.getAttribute('color');
    const target = new THREE.Color();
    const m = colours.count / 3;
    let scale = null;
    if (mode === 'thickness' || mode === 'gap') {
      const values = mode === 'thickness' ? thick : gap;
      const limit = mode === 'thickness' ? th.thin_below : th.narrow_below;
      // Up to the 95th percentile of the part's own values (sampled), at least twice the limit:
      // the colours spread over what the part has, and the limit always sits in the red half.
      const sample = [];
      for (let f = 0; f < values.length; f += Math.max(1, Math.floor(values.length / 20000))) {
        if (!Number.isNaN(values[f])) sample.push(values[f]);
      }
      sample.sort((a, b) => a - b);
      const p95 = sample.length ? sample[Math.floor(0.95 * (sample.length - 1))] : 4 * limit;
      scale = { low: 0, high: Math.max(2 * limit, p95), limit };
    }
    for (let f = 0; f < m; f += 1) {
      if (mode === 'plain' || !thick) {
        target.copy(PLAIN);
      } else if (mode === 'overhang') {
        target.copy(flags[f] & 4 ? OVERHANG : PLAIN);
      } else {
        const value = (mode === 'thickness' ? thick : gap)[f];
        if (Number.isNaN(value)) target.copy(UNMEASURED);
        else rampColour((value - scale.low) / (scale.high - scale.low), target);
      }
      for (let k = 0; k < 3; k += 1) colours.setXYZ(f * 3 + k, target.r, target.g, target.b);
    }
    colours.needsUpdate = true;
    this.render();
    return scale;
  }

  /** `rotation` (3 x 3, part to machine) or null for the part as uploaded; sets it on the plate. */
  orient(rotation) {
    const matrix = new THREE.Matrix4();
    if (rotation) {
      const r = rotation;
      matrix.set(r[0][0], r[0][1], r[0][2], 0, r[1][0], r[1][1], r[1][2], 0, r[2][0], r[2][1], r[2][2], 0, 0, 0, 0, 1);
    }
    this.rotation = matrix.clone();
    this.part.matrixAutoUpdate = false;
    this.part.matrix.copy(matrix);
    // Lift onto z = 0 (the plate) in machine coordinates.
    const pos = this.display.arrays.positions;
    const [a, b, c] = [matrix.elements[2], matrix.elements[6], matrix.elements[10]]; // row z of R
    let lowest = Infinity;
    for (let i = 0; i < pos.length; i += 3) lowest = Math.min(lowest, a * pos[i] + b * pos[i + 1] + c * pos[i + 2]);
    this.placed.matrix.makeTranslation(0, 0, rotation ? -lowest : 0);
    this.placed.matrixWorldNeedsUpdate = true;
    this.oriented = Boolean(rotation);
    this.placeGrid();
    this.render();
  }

  placeGrid() {
    if (this.grid) {
      this.scene.remove(this.grid);
      this.grid.geometry.dispose();
    }
    const box = new THREE.Box3().setFromObject(this.mesh);
    const size = Math.max(box.max.x - box.min.x, box.max.y - box.min.y) * 1.6 || 10;
    this.grid = new THREE.GridHelper(size, 20, 0x8899aa, 0xc0c8d2);
    this.grid.rotation.x = Math.PI / 2;
    this.grid.position.set((box.min.x + box.max.x) / 2, (box.min.y + box.max.y) / 2, box.min.z);
    this.scene.add(this.grid);
  }

  bounds() {
    this.scene.updateMatrixWorld(true);
    return new THREE.Box3().setFromObject(this.mesh);
  }

  reset() {
    const sphere = this.bounds().getBoundingSphere(new THREE.Sphere());
    this.frame(sphere.center, sphere.radius);
  }

  showSupports(on) {
    this.supports.visible = on;
    this.render();
  }

  setVisible(group, on) {
    this[group].visible = on;
    this.render();
  }

  setWire(on) {
    this.wire.visible = on;
    this.render();
  }

  /** Cut away everything above `fraction` of the part's height (null: no cut). */
  setSection(fraction) {
    this.clipping.length = 0;
    if (fraction !== null) {
      const box = this.bounds();
      this.section.constant = box.min.z + fraction * (box.max.z - box.min.z);
      this.clipping.push(this.section);
    }
    this.inside.visible = fraction !== null;
    this.scene.traverse((o) => {
      if (o.material) o.material.needsUpdate = true;
    });
    this.render();
    return fraction === null ? null : this.section.constant;
  }

  /** Fly to a point given in part coordinates and mark it. */
  flyToPart(centre, radius, colour = '#111') {
    this.scene.updateMatrixWorld(true);
    const world = (Array.isArray(centre) ? vec(centre) : centre.clone()).applyMatrix4(this.part.matrixWorld);
    this.clear(this.markers);
    const ring = new THREE.Mesh(
      new THREE.SphereGeometry(Math.max(radius, this.radius * 0.02), 16, 12),
      new THREE.MeshBasicMaterial({ color: colour, wireframe: true, depthTest: false }),
    );
    ring.position.copy(world);
    ring.renderOrder = 4;
    this.markers.add(ring);
    this.flyTo(world, Math.max(radius * 3, this.radius * 0.12));
  }
}

/** A prepared tray: the plate, the build volume, each mesh where the tray placed it, supports. */
export class TrayView extends View {
  constructor(container) {
    super(container);
    this.content = new THREE.Group();
    this.scene.add(this.content);
  }

  /**
   * The plate is centred on the origin (as the tray lays parts out). `bed` is the build volume in
   * mm [x, y, z] (x is the diameter of a round plate); `items` are {display, matrix: the mesh's
   * 3 x 4 row-major transform in mm, support}.
   */
  show(bed, items, round = false) {
    this.clear(this.content);
    const [x, y, z] = bed;
    const plateGeometry = round ? new THREE.CircleGeometry(x / 2, 96) : new THREE.PlaneGeometry(x, y);
    const plate = new THREE.Mesh(plateGeometry, new THREE.MeshBasicMaterial({ color: '#c3cdd8', side: THREE.DoubleSide }));
    plate.position.z = -0.05;
    const grid = new THREE.GridHelper(Math.max(x, y), Math.round(Math.max(x, y) / 10), 0x7d8b99, 0xa9b4c0);
    grid.rotation.x = Math.PI / 2;
    const outline = round ? new THREE.CylinderGeometry(x / 2, x / 2, z, 64, 1, true) : new THREE.BoxGeometry(x, y, z);
    if (round) outline.rotateX(Math.PI / 2);
    const volume = new THREE.LineSegments(new THREE.EdgesGeometry(outline), new THREE.LineBasicMaterial({ color: '#4a5a6a' }));
    volume.position.z = z / 2;
    this.content.add(plate, grid, volume);
    for (const item of items) {
      const { arrays } = item.display;
      const mesh = new THREE.Mesh(
        indexedGeometry(arrays.positions, arrays.faces),
        new THREE.MeshStandardMaterial({ color: item.support ? '#f2b134' : '#5b8fc7', roughness: 0.8, flatShading: true, transparent: item.support, opacity: item.support ? 0.85 : 1 }),
      );
      mesh.matrixAutoUpdate = false;
      mesh.matrix.set(...item.matrix.slice(0, 3).flat(), 0, 0, 0, 1);
      this.content.add(mesh);
    }
    this.frame(new THREE.Vector3(0, 0, z / 4), Math.hypot(x, y, z / 2) / 2, new THREE.Vector3(0.6, -1.4, 1.0));
  }
}
