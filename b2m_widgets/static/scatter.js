// b2m-explorer embedding scatter (anywidget ESM): clips as points on a 2-D map, one colour per
// genre, drawn on a canvas. Python sends the coordinates (float32 bytes), each clip's group
// (uint16 bytes), the groups' names and colours, the clip ids and the ringed clips; the browser
// draws axes, points, rings and the selected clip, names the clip under the pointer, and sets
// `selected` on a click. The legend's buttons hide or show a genre. Drag pans; the + / − /
// reset buttons (or the + - and arrow keys, Home) zoom and pan. All text is set with
// textContent: never interpreted as HTML. Nothing is fetched. Uses bytesOf, canvasFrame and
// pointerIn from _shared.js (prepended by Python).

const MARGIN = { left: 50, right: 12, top: 10, bottom: 42 };
const PICK_PX = 9;

function niceStep(span, count) {
  const raw = span / Math.max(1, count);
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const unit = raw / power;
  return (unit >= 5 ? 10 : unit >= 2 ? 5 : unit >= 1 ? 2 : 1) * power;
}

function ticks(lo, hi, count) {
  if (!(hi > lo)) return [lo];
  const step = niceStep(hi - lo, count);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return out;
}

function label(v) {
  return String(Number(v.toPrecision(4)));
}

function button(text, name) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.setAttribute("aria-label", name);
  b.title = name;
  return b;
}

function render({ model, el }) {
  const { root, title, row, stage, canvas, tip, make } = canvasFrame("b2m-scatter");
  const tools = make("div", "tools");
  const zoomIn = button("+", "zoom in");
  const zoomOut = button("−", "zoom out");
  const reset = button("⟲", "reset the view");
  tools.append(zoomIn, zoomOut, reset);
  stage.append(tools);
  const legend = make("ul", "legend");
  legend.setAttribute("aria-label", "genres: press to hide or show");
  row.append(legend);
  el.appendChild(root);

  const state = { draws: 0, hidden: new Set(), screen: null };
  canvas.b2m = state;
  let xy = new Float32Array(0);
  let codes = new Uint16Array(0);
  let marked = new Uint32Array(0);
  let markedSet = new Set();
  let groups = [];
  let ids = [];
  let full = { x0: 0, x1: 1, y0: 0, y1: 1 };
  let view = { ...full };
  let frame = 0;

  function readData() {
    xy = bytesOf(model.get("_points"), Float32Array);
    codes = bytesOf(model.get("_codes"), Uint16Array);
    marked = bytesOf(model.get("_marked"), Uint32Array);
    markedSet = new Set(marked);
    groups = model.get("_groups") || [];
    ids = model.get("_ids") || [];
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (let i = 0; i < xy.length; i += 2) {
      x0 = Math.min(x0, xy[i]);
      x1 = Math.max(x1, xy[i]);
      y0 = Math.min(y0, xy[i + 1]);
      y1 = Math.max(y1, xy[i + 1]);
    }
    if (!(x1 > x0)) { x0 -= 1; x1 += 1; }
    if (!(y1 > y0)) { y0 -= 1; y1 += 1; }
    const px = (x1 - x0) * 0.05, py = (y1 - y0) * 0.05;
    full = { x0: x0 - px, x1: x1 + px, y0: y0 - py, y1: y1 + py };
    view = { ...full };
    buildLegend();
  }

  function buildLegend() {
    legend.replaceChildren();
    const entries = groups.map((g, k) => ({ name: g.name, color: g.color, key: k }));
    if (marked.length) entries.push({ name: model.get("marked_label"), ring: true, key: -1 });
    for (const entry of entries) {
      const item = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.className = "b2m-scatter-key";
      const swatch = document.createElement("span");
      swatch.className = "b2m-scatter-swatch";
      if (entry.ring) {
        swatch.classList.add("b2m-scatter-ring");
      } else {
        swatch.style.background = entry.color;
      }
      const text = document.createElement("span");
      text.textContent = entry.name;
      b.append(swatch, text);
      const sync = () => b.setAttribute("aria-pressed", state.hidden.has(entry.key) ? "false" : "true");
      sync();
      b.addEventListener("click", () => {
        if (state.hidden.has(entry.key)) state.hidden.delete(entry.key);
        else state.hidden.add(entry.key);
        sync();
        schedule();
      });
      item.appendChild(b);
      legend.appendChild(item);
    }
  }

  function plotBox() {
    return {
      x: MARGIN.left,
      y: MARGIN.top,
      w: Math.max(10, canvas.clientWidth - MARGIN.left - MARGIN.right),
      h: Math.max(10, canvas.clientHeight - MARGIN.top - MARGIN.bottom),
    };
  }

  function toScreen(box) {
    const sx = box.w / (view.x1 - view.x0);
    const sy = box.h / (view.y1 - view.y0);
    return [(x) => box.x + (x - view.x0) * sx, (y) => box.y + box.h - (y - view.y0) * sy];
  }

  function visible(i) {
    return !state.hidden.has(codes[i]);
  }

  function draw() {
    frame = 0;
    const ratio = window.devicePixelRatio || 1;
    const w = canvas.clientWidth, h = canvas.clientHeight;
    if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
      canvas.width = Math.round(w * ratio);
      canvas.height = Math.round(h * ratio);
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const box = plotBox();
    const [fx, fy] = toScreen(box);
    // axes, ticks and grid
    ctx.font = "11px sans-serif";
    ctx.fillStyle = "#444";
    ctx.strokeStyle = "#e6e6e6";
    ctx.lineWidth = 1;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of ticks(view.x0, view.x1, Math.max(2, Math.floor(box.w / 80)))) {
      const x = fx(t);
      ctx.beginPath();
      ctx.moveTo(x, box.y);
      ctx.lineTo(x, box.y + box.h);
      ctx.stroke();
      ctx.fillText(label(t), x, box.y + box.h + 4);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const t of ticks(view.y0, view.y1, Math.max(2, Math.floor(box.h / 60)))) {
      const y = fy(t);
      ctx.beginPath();
      ctx.moveTo(box.x, y);
      ctx.lineTo(box.x + box.w, y);
      ctx.stroke();
      ctx.fillText(label(t), box.x - 5, y);
    }
    ctx.strokeStyle = "#999";
    ctx.strokeRect(box.x, box.y, box.w, box.h);
    ctx.font = "12px sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText(model.get("x_label"), box.x + box.w / 2, h - 2);
    ctx.save();
    ctx.translate(12, box.y + box.h / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText(model.get("y_label"), 0, 0);
    ctx.restore();
    // points, clipped to the plot box
    ctx.save();
    ctx.beginPath();
    ctx.rect(box.x, box.y, box.w, box.h);
    ctx.clip();
    const n = xy.length / 2;
    const screen = new Float32Array(xy.length);
    ctx.globalAlpha = 0.85;
    for (let i = 0; i < n; i++) {
      screen[2 * i] = fx(xy[2 * i]);
      screen[2 * i + 1] = fy(xy[2 * i + 1]);
      if (!visible(i)) continue;
      ctx.fillStyle = (groups[codes[i]] || {}).color || "#777";
      ctx.beginPath();
      ctx.arc(screen[2 * i], screen[2 * i + 1], 4, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.globalAlpha = 1;
    if (!state.hidden.has(-1)) {
      ctx.strokeStyle = "#222";
      ctx.lineWidth = 1.5;
      for (const i of marked) {
        if (i >= n || !visible(i)) continue;
        ctx.beginPath();
        ctx.arc(screen[2 * i], screen[2 * i + 1], 6.5, 0, 2 * Math.PI);
        ctx.stroke();
      }
    }
    const selected = model.get("selected");
    if (selected >= 0 && selected < n) {
      ctx.strokeStyle = "#000";
      ctx.lineWidth = 2.5;
      ctx.beginPath();
      ctx.arc(screen[2 * selected], screen[2 * selected + 1], 9, 0, 2 * Math.PI);
      ctx.stroke();
    }
    ctx.restore();
    state.screen = screen;
    state.draws += 1;
    root.dataset.draws = String(state.draws);
  }

  function schedule() {
    if (!frame) frame = requestAnimationFrame(draw);
  }

  function nearest(px, py) {
    // The visible clip nearest to a point in CSS pixels, within PICK_PX; -1 if none.
    const screen = state.screen;
    if (!screen) return -1;
    let best = -1;
    let bestD = PICK_PX * PICK_PX;
    for (let i = 0; i < screen.length / 2; i++) {
      if (!visible(i)) continue;
      const dx = screen[2 * i] - px, dy = screen[2 * i + 1] - py;
      const d = dx * dx + dy * dy;
      if (d <= bestD) {
        bestD = d;
        best = i;
      }
    }
    return best;
  }
  state.nearest = nearest;

  function describe() {
    const text = model.get("title");
    title.textContent = text;
    title.hidden = !text;
    canvas.setAttribute(
      "aria-label",
      `${text || "embedding map"}: ${xy.length / 2} clips coloured by genre. ` +
        "Click a point to select its clip; drag or arrow keys pan, + and - zoom, Home resets.",
    );
  }

  function zoom(factor, cx, cy) {
    const mx = cx === undefined ? (view.x0 + view.x1) / 2 : cx;
    const my = cy === undefined ? (view.y0 + view.y1) / 2 : cy;
    view = {
      x0: mx + (view.x0 - mx) * factor,
      x1: mx + (view.x1 - mx) * factor,
      y0: my + (view.y0 - my) * factor,
      y1: my + (view.y1 - my) * factor,
    };
    schedule();
  }

  function pan(fx, fy) {
    const dx = (view.x1 - view.x0) * fx, dy = (view.y1 - view.y0) * fy;
    view = { x0: view.x0 + dx, x1: view.x1 + dx, y0: view.y0 + dy, y1: view.y1 + dy };
    schedule();
  }

  const pointer = (event) => pointerIn(canvas, event);

  let drag = null;
  canvas.addEventListener("pointerdown", (event) => {
    const [x, y] = pointer(event);
    drag = { x, y, moved: false };
    canvas.setPointerCapture(event.pointerId);
  });
  canvas.addEventListener("pointermove", (event) => {
    const [x, y] = pointer(event);
    if (drag) {
      const dx = x - drag.x, dy = y - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      if (drag.moved) {
        const box = plotBox();
        pan(-dx / box.w, dy / box.h);
        drag.x = x;
        drag.y = y;
        tip.hidden = true;
      }
      return;
    }
    const i = nearest(x, y);
    tip.hidden = i < 0;
    if (i >= 0) {
      const group = (groups[codes[i]] || {}).name || "";
      tip.textContent = `${ids[i] || `clip ${i}`} · ${group}` +
        (markedSet.has(i) ? ` · ${model.get("marked_label")}` : "");
      tip.style.left = `${Math.min(x + 12, Math.max(0, stage.clientWidth - 200))}px`;
      tip.style.top = `${y + 12}px`;
    }
    canvas.style.cursor = i >= 0 ? "pointer" : "default";
  });
  canvas.addEventListener("pointerleave", () => {
    tip.hidden = true;
  });
  canvas.addEventListener("pointerup", (event) => {
    const start = drag;
    drag = null;
    if (!start || start.moved) return;
    const [x, y] = pointer(event);
    const i = nearest(x, y);
    if (i >= 0) {
      model.set("selected", i);
      model.save_changes();
    }
  });
  canvas.addEventListener("dblclick", () => {
    view = { ...full };
    schedule();
  });
  canvas.addEventListener("keydown", (event) => {
    const moves = { ArrowLeft: [-0.1, 0], ArrowRight: [0.1, 0], ArrowUp: [0, 0.1],
                    ArrowDown: [0, -0.1] };
    if (event.key in moves) {
      pan(...moves[event.key]);
    } else if (event.key === "+" || event.key === "=") {
      zoom(0.8);
    } else if (event.key === "-") {
      zoom(1.25);
    } else if (event.key === "Home") {
      view = { ...full };
      schedule();
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation(); // keep JupyterLab's notebook shortcuts out of the map
  });
  zoomIn.addEventListener("click", () => zoom(0.8));
  zoomOut.addEventListener("click", () => zoom(1.25));
  reset.addEventListener("click", () => {
    view = { ...full };
    schedule();
  });

  const redata = () => {
    readData();
    describe();
    schedule();
  };
  for (const name of ["_points", "_codes", "_marked", "_groups", "_ids", "marked_label"]) {
    model.on(`change:${name}`, redata);
  }
  model.on("change:selected", schedule);
  model.on("change:title", describe);
  model.on("change:x_label", schedule);
  model.on("change:y_label", schedule);
  model.on("change:height", () => {
    canvas.style.height = `${model.get("height")}px`;
    schedule();
  });

  canvas.style.height = `${model.get("height")}px`;
  readData();
  describe();
  const observer = new ResizeObserver(schedule);
  observer.observe(stage);
  schedule();
  return () => observer.disconnect();
}

export default { render };
