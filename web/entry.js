// The viewer's one vendored module: three.js and the add-ons it uses, bundled and minified by
// esbuild at build time (`make viewer-vendor`) into src/makeready/viewer/vendor/three.min.js.
export * from 'three';
export { OrbitControls } from 'three/addons/controls/OrbitControls.js';
