// b2m-explorer cortex canvas (anywidget ESM): both fsaverage5 hemispheres drawn with WebGL 2.
//
// The geometry (coordinates, faces, sulcal grey, region outlines and labels) lives in a shared
// data model that the kernel sends once per mesh; this widget references it and receives only
// what changes: the map as float32 bytes, its limits, threshold, colour table (256 RGB bytes),
// camera, title and label. Colours are computed here, per vertex: the colour table above the
// threshold, the sulcal grey elsewhere (the twin of b2m_widgets._surface_parts.vertex_colors).
// A click that does not drag picks the nearest vertex of the triangle under the pointer and
// sends {type: "pick", vertex} to Python; hovering names the region and the value. All text is
// set with textContent: never interpreted as HTML. Nothing is fetched. Uses bytesOf,
// canvasFrame and pointerIn from _shared.js (prepended by Python).

const N_HEMI = 10242;
const TAU = Math.PI * 2;
const EDGE = Math.PI / 2 - 1e-3;
// [azimuth, elevation] of the eye for each view, per hemisphere (world: x right, y anterior,
// z up); lateral faces each hemisphere's outer side.
const VIEWS = {
  lateral: [[Math.PI, 0.09], [0, 0.09]],
  medial: [[0, 0.09], [Math.PI, 0.09]],
  anterior: [[Math.PI / 2, 0.19], [Math.PI / 2, 0.19]],
  posterior: [[-Math.PI / 2, 0.19], [-Math.PI / 2, 0.19]],
  dorsal: [[-Math.PI / 2, EDGE], [-Math.PI / 2, EDGE]],
  ventral: [[Math.PI / 2, -EDGE], [Math.PI / 2, -EDGE]],
};

const VERTEX_SHADER = `#version 300 es
in vec3 a_pos;
in vec3 a_normal;
in vec3 a_color;
uniform vec3 u_center;
uniform vec3 u_x;
uniform vec3 u_y;
uniform vec3 u_d;
uniform vec2 u_scale;
uniform float u_depth;
uniform float u_lift;
uniform float u_point;
out vec3 v_color;
out float v_light;
void main() {
  vec3 p = a_pos - u_center;
  gl_Position = vec4(dot(p, u_x) * u_scale.x, dot(p, u_y) * u_scale.y,
                     -dot(p, u_d) * u_depth - u_lift, 1.0);
  v_color = a_color;
  v_light = abs(dot(normalize(a_normal), u_d));
  gl_PointSize = u_point;
}`;

const FRAGMENT_SHADER = `#version 300 es
precision mediump float;
in vec3 v_color;
in float v_light;
uniform int u_flat;
uniform vec3 u_ink;
out vec4 colour;
void main() {
  if (u_flat == 1) {
    colour = vec4(u_ink, 1.0);
    return;
  }
  colour = vec4(v_color * min(1.0, 0.55 + 0.5 * v_light), 1.0);
}`;

function compile(gl, type, source) {
  const shader = gl.createShader(type);
  gl.shaderSource(shader, source);
  gl.compileShader(shader);
  if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) {
    throw new Error(gl.getShaderInfoLog(shader));
  }
  return shader;
}

function normals(pos, faces) {
  const out = new Float32Array(pos.length);
  for (let f = 0; f < faces.length; f += 3) {
    const a = faces[f] * 3;
    const b = faces[f + 1] * 3;
    const c = faces[f + 2] * 3;
    const ux = pos[b] - pos[a], uy = pos[b + 1] - pos[a + 1], uz = pos[b + 2] - pos[a + 2];
    const vx = pos[c] - pos[a], vy = pos[c + 1] - pos[a + 1], vz = pos[c + 2] - pos[a + 2];
    const nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
    for (const k of [a, b, c]) {
      out[k] += nx;
      out[k + 1] += ny;
      out[k + 2] += nz;
    }
  }
  return out;
}

function basis(azimuth, elevation) {
  // Eye direction d, screen right x and screen up y (world up z).
  const ce = Math.cos(elevation);
  const d = [ce * Math.cos(azimuth), ce * Math.sin(azimuth), Math.sin(elevation)];
  const xl = Math.hypot(d[1], d[0]) || 1;
  const x = [-d[1] / xl, d[0] / xl, 0];
  const y = [d[1] * x[2] - d[2] * x[1], d[2] * x[0] - d[0] * x[2], d[0] * x[1] - d[1] * x[0]];
  return { d, x, y };
}

function formatValue(v) {
  if (!Number.isFinite(v)) {
    return "no value";
  }
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : String(Number(v.toPrecision(3)));
}

async function render({ model, el }) {
  const { root, title, row, stage, canvas, tip, make } = canvasFrame("b2m-cortex");
  const note = make("div", "note");
  note.setAttribute("aria-live", "polite");
  stage.append(note);
  const bar = make("div", "bar");
  const barLabel = make("div", "bar-label");
  const barBody = make("div", "bar-body");
  const barCanvas = document.createElement("canvas");
  barCanvas.width = 1;
  barCanvas.height = 256;
  const ticks = make("div", "bar-ticks");
  const tickLabels = [0, 1, 2].map(() => {
    const t = document.createElement("span");
    ticks.appendChild(t);
    return t;
  });
  barBody.append(barCanvas, ticks);
  bar.append(barLabel, barBody);
  row.append(bar);
  el.appendChild(root);

  // State read by tests and the benchmark (canvas.b2m): colours, picks and draws.
  const state = { colors: null, draws: 0, maps: 0, picked: -1, ready: false, colorMs: 0, drawMs: 0 };
  canvas.b2m = state;
  let noteTimer = 0;

  function say(text, sticky) {
    note.textContent = text;
    note.hidden = !text;
    clearTimeout(noteTimer);
    if (text && !sticky) {
      noteTimer = setTimeout(() => {
        note.hidden = true;
      }, 4000);
    }
  }

  const gl = canvas.getContext("webgl2", { antialias: true, preserveDrawingBuffer: true });
  if (!gl) {
    say("WebGL 2 is not available in this browser: the cortex cannot be drawn here " +
        "(the static image of this map shows in exported notebooks).", true);
    return;
  }
  const program = gl.createProgram();
  gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, VERTEX_SHADER));
  gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, FRAGMENT_SHADER));
  gl.linkProgram(program);
  gl.useProgram(program);
  const loc = {};
  for (const name of ["a_pos", "a_normal", "a_color"]) {
    loc[name] = gl.getAttribLocation(program, name);
  }
  for (const name of ["u_center", "u_x", "u_y", "u_d", "u_scale", "u_depth", "u_lift",
                      "u_point", "u_flat", "u_ink"]) {
    loc[name] = gl.getUniformLocation(program, name);
  }
  gl.enable(gl.DEPTH_TEST);
  gl.enable(gl.SCISSOR_TEST);

  let hemis = [];
  let grey = new Uint8Array(0);
  let codes = new Uint16Array(0);
  let labels = [""];
  let values = null;
  let lut = new Uint8Array(768);
  const cams = [{}, {}];
  let frame = 0;
  let owned = { buffers: [], arrays: [] }; // GL objects of the current geometry

  function buffer(target, data) {
    const b = gl.createBuffer();
    owned.buffers.push(b);
    gl.bindBuffer(target, b);
    gl.bufferData(target, data, gl.STATIC_DRAW);
    return b;
  }

  function setCameras() {
    // The preset view of each hemisphere, and the half width and height of the hemisphere's
    // bounding box seen from there: the zoom that fits it, kept while the user rotates.
    const preset = VIEWS[model.get("view")] || VIEWS.lateral;
    for (let h = 0; h < 2; h++) {
      cams[h].azimuth = preset[h][0];
      cams[h].elevation = preset[h][1];
      const half = hemis[h] ? hemis[h].half : [1, 1, 1];
      const { x, y } = basis(preset[h][0], preset[h][1]);
      cams[h].fitX = x.reduce((sum, c, k) => sum + Math.abs(c) * half[k], 0);
      cams[h].fitY = y.reduce((sum, c, k) => sum + Math.abs(c) * half[k], 0);
    }
  }

  function visible() {
    const which = model.get("hemisphere");
    if (which === "left") return [0];
    if (which === "right") return [1];
    return [0, 1];
  }

  function computeColors() {
    const t0 = performance.now();
    const n = grey.length;
    const colors = new Uint8Array(n * 3);
    const thr = model.get("threshold");
    const lo = model.get("vmin");
    const hi = model.get("vmax");
    const span = hi - lo || 1;
    for (let i = 0; i < n; i++) {
      const v = values && values.length === n ? values[i] : NaN;
      if (Number.isFinite(v) && Math.abs(v) > thr) {
        const t = Math.min(1, Math.max(0, (v - lo) / span));
        const k = Math.round(t * 255) * 3;
        colors[i * 3] = lut[k];
        colors[i * 3 + 1] = lut[k + 1];
        colors[i * 3 + 2] = lut[k + 2];
      } else {
        colors[i * 3] = colors[i * 3 + 1] = colors[i * 3 + 2] = grey[i];
      }
    }
    state.colors = colors;
    hemis.forEach((hemi, h) => {
      gl.bindBuffer(gl.ARRAY_BUFFER, hemi.color);
      gl.bufferData(gl.ARRAY_BUFFER, colors.subarray(h * N_HEMI * 3, (h + 1) * N_HEMI * 3),
                    gl.DYNAMIC_DRAW);
    });
    state.colorMs = performance.now() - t0;
  }

  function viewports() {
    const shown = visible();
    const w = canvas.width / shown.length;
    return shown.map((h, i) => ({ h, x: Math.round(i * w), w: Math.round(w), hgt: canvas.height }));
  }

  function cameraOf(vp) {
    const hemi = hemis[vp.h];
    const cam = cams[vp.h];
    const { d, x, y } = basis(cam.azimuth, cam.elevation);
    // Pixels per mm: the preset view's box fills the viewport, with a 4 % margin.
    const ppm = Math.min(vp.w / 2 / cam.fitX, vp.hgt / 2 / cam.fitY) / 1.04;
    const sx = ppm / (vp.w / 2);
    const sy = ppm / (vp.hgt / 2);
    return { d, x, y, sx, sy, center: hemi.center, depth: 1 / (hemi.radius * 1.5) };
  }

  function draw() {
    if (frame) cancelAnimationFrame(frame);
    frame = 0;
    if (!hemis.length) return;
    const t0 = performance.now();
    gl.viewport(0, 0, canvas.width, canvas.height);
    gl.scissor(0, 0, canvas.width, canvas.height);
    gl.clearColor(1, 1, 1, 1);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    for (const vp of viewports()) {
      const hemi = hemis[vp.h];
      const cam = cameraOf(vp);
      gl.viewport(vp.x, 0, vp.w, vp.hgt);
      gl.scissor(vp.x, 0, vp.w, vp.hgt);
      gl.uniform3fv(loc.u_center, cam.center);
      gl.uniform3fv(loc.u_x, cam.x);
      gl.uniform3fv(loc.u_y, cam.y);
      gl.uniform3fv(loc.u_d, cam.d);
      gl.uniform2f(loc.u_scale, cam.sx, cam.sy);
      gl.uniform1f(loc.u_depth, cam.depth);
      gl.uniform1f(loc.u_lift, 0);
      gl.uniform1f(loc.u_point, 1);
      gl.uniform1i(loc.u_flat, 0);
      gl.bindVertexArray(hemi.vao);
      gl.drawElements(gl.TRIANGLES, hemi.count, gl.UNSIGNED_INT, 0);
      gl.uniform1i(loc.u_flat, 1);
      gl.uniform1f(loc.u_lift, 0.002);
      if (model.get("outlines") && hemi.outlineCount) {
        gl.uniform3f(loc.u_ink, 0.08, 0.08, 0.08);
        gl.bindVertexArray(hemi.outlineVao);
        gl.drawArrays(gl.LINES, 0, hemi.outlineCount);
      }
      const picked = model.get("picked");
      if (picked >= 0 && Math.floor(picked / N_HEMI) === vp.h) {
        gl.uniform1f(loc.u_lift, 0.01);
        gl.uniform1f(loc.u_point, 9 * (window.devicePixelRatio || 1));
        gl.uniform3f(loc.u_ink, 0.0, 0.75, 0.2);
        gl.bindVertexArray(hemi.vao);
        gl.drawArrays(gl.POINTS, picked % N_HEMI, 1);
      }
    }
    gl.bindVertexArray(null);
    state.drawMs = performance.now() - t0;
    state.draws += 1;
    root.dataset.draws = String(state.draws);
  }

  function schedule() {
    if (!frame) frame = requestAnimationFrame(draw);
  }

  function drawBar() {
    const has = values !== null;
    bar.hidden = !has;
    if (!has) return;
    const ctx = barCanvas.getContext("2d");
    const image = ctx.createImageData(1, 256);
    for (let i = 0; i < 256; i++) {
      const k = (255 - i) * 3; // top of the bar = vmax
      image.data.set([lut[k], lut[k + 1], lut[k + 2], 255], i * 4);
    }
    ctx.putImageData(image, 0, 0);
    const lo = model.get("vmin");
    const hi = model.get("vmax");
    const mid = lo < 0 && hi > 0 ? 0 : (lo + hi) / 2;
    tickLabels[0].textContent = formatValue(hi);
    tickLabels[1].textContent = formatValue(mid);
    tickLabels[1].style.top = `${(100 * (hi - mid)) / (hi - lo || 1)}%`;
    tickLabels[2].textContent = formatValue(lo);
    barLabel.textContent = model.get("label");
  }

  function describe() {
    const text = model.get("title");
    title.textContent = text;
    title.hidden = !text;
    const which = { both: "both hemispheres", left: "left hemisphere", right: "right hemisphere" };
    canvas.setAttribute(
      "aria-label",
      `${text || "cortical surface"}: ${which[model.get("hemisphere")] || ""}, ` +
        `${model.get("view")} view. Drag or arrow keys rotate, Home resets, a click picks a vertex.`,
    );
  }

  function resize() {
    const ratio = window.devicePixelRatio || 1;
    const height = model.get("height");
    const width = Math.max(120, stage.clientWidth || 480);
    canvas.style.height = `${height}px`;
    barBody.style.height = `${Math.max(60, height - 70)}px`;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    schedule();
  }

  function readValues() {
    const raw = bytesOf(model.get("values"), Float32Array);
    values = raw.length ? raw : null;
    state.maps += 1;
    root.dataset.maps = String(state.maps);
  }

  async function loadGeometry() {
    const ref = model.get("geometry");
    let gm = ref;
    if (typeof ref === "string") {
      gm = await model.widget_manager.get_model(ref.replace(/^IPY_MODEL_/, ""));
    }
    if (!gm || typeof gm.get !== "function") {
      say("no surface geometry was received from the kernel", true);
      return;
    }
    // A new mesh replaces the old one: free its GL objects first.
    owned.buffers.forEach((b) => gl.deleteBuffer(b));
    owned.arrays.forEach((a) => gl.deleteVertexArray(a));
    owned = { buffers: [], arrays: [] };
    const coords = bytesOf(gm.get("coords"), Float32Array);
    const faces = bytesOf(gm.get("faces"), Uint32Array);
    grey = bytesOf(gm.get("grey"), Uint8Array);
    codes = bytesOf(gm.get("region_codes"), Uint16Array);
    labels = gm.get("region_labels") || [""];
    const outlines = [bytesOf(gm.get("outline_left"), Float32Array),
                      bytesOf(gm.get("outline_right"), Float32Array)];
    const nFaces = faces.length / 2;
    hemis = [0, 1].map((h) => {
      const pos = coords.subarray(h * N_HEMI * 3, (h + 1) * N_HEMI * 3);
      const idx = faces.subarray(h * nFaces, (h + 1) * nFaces);
      let lo = [Infinity, Infinity, Infinity];
      let hi = [-Infinity, -Infinity, -Infinity];
      for (let i = 0; i < pos.length; i += 3) {
        for (let k = 0; k < 3; k++) {
          lo[k] = Math.min(lo[k], pos[i + k]);
          hi[k] = Math.max(hi[k], pos[i + k]);
        }
      }
      const center = lo.map((v, k) => (v + hi[k]) / 2);
      let radius = 1;
      for (let i = 0; i < pos.length; i += 3) {
        radius = Math.max(radius, Math.hypot(pos[i] - center[0], pos[i + 1] - center[1],
                                             pos[i + 2] - center[2]));
      }
      const vao = gl.createVertexArray();
      owned.arrays.push(vao);
      gl.bindVertexArray(vao);
      const attach = (name, data, size, type, norm) => {
        const b = buffer(gl.ARRAY_BUFFER, data);
        gl.enableVertexAttribArray(loc[name]);
        gl.vertexAttribPointer(loc[name], size, type, norm, 0, 0);
        return b;
      };
      attach("a_pos", pos, 3, gl.FLOAT, false);
      attach("a_normal", normals(pos, idx), 3, gl.FLOAT, false);
      const color = attach("a_color", new Uint8Array(N_HEMI * 3), 3, gl.UNSIGNED_BYTE, true);
      buffer(gl.ELEMENT_ARRAY_BUFFER, idx);
      const outlineVao = gl.createVertexArray();
      owned.arrays.push(outlineVao);
      gl.bindVertexArray(outlineVao);
      buffer(gl.ARRAY_BUFFER, outlines[h]);
      gl.enableVertexAttribArray(loc.a_pos);
      gl.vertexAttribPointer(loc.a_pos, 3, gl.FLOAT, false, 0, 0);
      gl.disableVertexAttribArray(loc.a_normal);
      gl.disableVertexAttribArray(loc.a_color);
      gl.bindVertexArray(null);
      const extent = hi.map((v, k) => (v - lo[k]) / 2);
      return { pos, idx, center, radius, half: extent, vao, color, count: idx.length, outlineVao,
               outlineCount: outlines[h].length / 3 };
    });
    setCameras();
    computeColors();
    state.ready = true;
    root.dataset.ready = "true";
    schedule();
  }

  // -- picking: the triangle under the pointer, nearest of its three vertices ------------------
  function vertexAt(px, py) {
    // px, py: CSS pixels relative to the canvas. Returns a vertex index or -1 (no cortex there).
    const ratio = canvas.width / (canvas.clientWidth || 1);
    const cx = px * ratio;
    const cy = canvas.height - py * ratio;
    const vp = viewports().find((v) => cx >= v.x && cx < v.x + v.w);
    if (!vp || !hemis.length) return -1;
    const cam = cameraOf(vp);
    const hemi = hemis[vp.h];
    const nx = ((cx - vp.x) / vp.w) * 2 - 1;
    const ny = (cy / vp.hgt) * 2 - 1;
    const { pos, idx } = hemi;
    const n = pos.length / 3;
    const u = new Float32Array(n);
    const v = new Float32Array(n);
    const w = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const x = pos[i * 3] - cam.center[0];
      const y = pos[i * 3 + 1] - cam.center[1];
      const z = pos[i * 3 + 2] - cam.center[2];
      u[i] = (x * cam.x[0] + y * cam.x[1] + z * cam.x[2]) * cam.sx - nx;
      v[i] = (x * cam.y[0] + y * cam.y[1] + z * cam.y[2]) * cam.sy - ny;
      w[i] = x * cam.d[0] + y * cam.d[1] + z * cam.d[2];
    }
    let best = -1;
    let bestDepth = -Infinity;
    for (let f = 0; f < idx.length; f += 3) {
      const a = idx[f], b = idx[f + 1], c = idx[f + 2];
      if ((u[a] > 0 && u[b] > 0 && u[c] > 0) || (u[a] < 0 && u[b] < 0 && u[c] < 0)) continue;
      if ((v[a] > 0 && v[b] > 0 && v[c] > 0) || (v[a] < 0 && v[b] < 0 && v[c] < 0)) continue;
      // Barycentric weights of the origin (the pointer) in the projected triangle.
      const det = (u[b] - u[a]) * (v[c] - v[a]) - (u[c] - u[a]) * (v[b] - v[a]);
      if (det === 0) continue;
      const l1 = ((0 - u[a]) * (v[c] - v[a]) - (u[c] - u[a]) * (0 - v[a])) / det;
      const l2 = ((u[b] - u[a]) * (0 - v[a]) - (0 - u[a]) * (v[b] - v[a])) / det;
      const l0 = 1 - l1 - l2;
      if (l0 < 0 || l1 < 0 || l2 < 0) continue;
      const depth = l0 * w[a] + l1 * w[b] + l2 * w[c];
      if (depth > bestDepth) {
        bestDepth = depth;
        best = l0 >= l1 && l0 >= l2 ? a : l1 >= l2 ? b : c;
      }
    }
    return best < 0 ? -1 : best + vp.h * N_HEMI;
  }
  state.vertexAt = vertexAt;

  const pointer = (event) => pointerIn(canvas, event);

  function hoverText(vertex) {
    const hemi = vertex < N_HEMI ? "left" : "right";
    const region = labels[codes[vertex]] || "";
    let text = `${hemi} #${vertex % N_HEMI}`;
    if (region) text = `${region} · ${text}`;
    if (values) text += ` · ${model.get("label")} ${formatValue(values[vertex])}`;
    return text;
  }

  let drag = null;
  let hoverFrame = 0;
  canvas.addEventListener("pointerdown", (event) => {
    const [x, y] = pointer(event);
    const vp = viewports().find((v) => x * (canvas.width / canvas.clientWidth) >= v.x &&
                                      x * (canvas.width / canvas.clientWidth) < v.x + v.w);
    drag = { x, y, moved: false, h: vp ? vp.h : 0 };
    canvas.setPointerCapture(event.pointerId);
  });
  canvas.addEventListener("pointermove", (event) => {
    const [x, y] = pointer(event);
    if (drag) {
      const dx = x - drag.x;
      const dy = y - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      if (drag.moved) {
        const cam = cams[drag.h];
        cam.azimuth = (cam.azimuth - dx * 0.01) % TAU;
        cam.elevation = Math.max(-EDGE, Math.min(EDGE, cam.elevation + dy * 0.01));
        drag.x = x;
        drag.y = y;
        tip.hidden = true;
        schedule();
      }
      return;
    }
    if (hoverFrame) return;
    hoverFrame = requestAnimationFrame(() => {
      hoverFrame = 0;
      const vertex = vertexAt(x, y);
      tip.hidden = vertex < 0;
      if (vertex >= 0) {
        tip.textContent = hoverText(vertex);
        tip.style.left = `${Math.min(x + 12, Math.max(0, stage.clientWidth - 220))}px`;
        tip.style.top = `${y + 12}px`;
      }
    });
  });
  canvas.addEventListener("pointerleave", () => {
    tip.hidden = true;
  });
  canvas.addEventListener("pointerup", (event) => {
    const start = drag;
    drag = null;
    if (!start || start.moved) return;
    const [x, y] = pointer(event);
    const vertex = vertexAt(x, y);
    if (vertex < 0) {
      say("no cortex under the pointer: click on the surface to pick a vertex");
      return;
    }
    say("");
    state.picked = vertex;
    model.send({ type: "pick", vertex });
  });
  canvas.addEventListener("dblclick", () => {
    setCameras();
    schedule();
  });
  canvas.addEventListener("keydown", (event) => {
    const step = 0.15;
    const turns = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, -step],
                    ArrowDown: [0, step] };
    if (event.key in turns) {
      const [da, de] = turns[event.key];
      for (const h of visible()) {
        cams[h].azimuth += da;
        cams[h].elevation = Math.max(-EDGE, Math.min(EDGE, cams[h].elevation + de));
      }
    } else if (event.key === "Home") {
      setCameras();
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation(); // keep JupyterLab's notebook shortcuts out of the canvas
    schedule();
  });

  model.on("change:values", () => {
    // Drawn at once, not at the next animation frame: the audio and lists of the same selection
    // arrive right behind the map and would otherwise hold the frame back.
    readValues();
    computeColors();
    drawBar();
    draw();
  });
  const recolour = () => {
    computeColors();
    drawBar();
    schedule();
  };
  for (const name of ["threshold", "vmin", "vmax"]) model.on(`change:${name}`, recolour);
  model.on("change:lut", () => {
    lut = bytesOf(model.get("lut"), Uint8Array);
    recolour();
  });
  model.on("change:label", drawBar);
  model.on("change:title", describe);
  model.on("change:view", () => {
    setCameras();
    describe();
    schedule();
  });
  model.on("change:hemisphere", () => {
    describe();
    schedule();
  });
  model.on("change:outlines", schedule);
  model.on("change:picked", schedule);
  model.on("change:height", resize);
  model.on("change:geometry", loadGeometry);
  model.on("msg:custom", (msg) => {
    if (msg && msg.type === "note") say(String(msg.text || ""));
  });

  lut = bytesOf(model.get("lut"), Uint8Array);
  readValues();
  setCameras();
  describe();
  drawBar();
  const observer = new ResizeObserver(resize);
  observer.observe(stage);
  resize();
  await loadGeometry();
  return () => {
    observer.disconnect();
    clearTimeout(noteTimer);
    const lose = gl.getExtension("WEBGL_lose_context");
    if (lose) lose.loseContext();
  };
}

export default { render };
