// b2m-explorer: helpers shared by the canvas widgets (cortex.js, scatter.js). Python prepends
// this file to each of their scripts (b2m_widgets/_static.py), so each stays one ES module.

function bytesOf(value, Type) {
  // A DataView (binary buffer), an ArrayBuffer or a typed array -> a fresh, aligned Type array.
  if (!value) {
    return new Type(0);
  }
  const view = value.buffer ? value : new DataView(value);
  const copy = view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength);
  return new Type(copy);
}

function canvasFrame(prefix) {
  // The common frame: a title line, then a row whose stage holds a focusable canvas and a
  // hover label. Class names are `${prefix}`, `${prefix}-title`, `-row`, `-stage`, `-canvas`,
  // `-tip`.
  const make = (tag, suffix) => {
    const node = document.createElement(tag);
    node.className = suffix ? `${prefix}-${suffix}` : prefix;
    return node;
  };
  const root = make("div", "");
  const title = make("div", "title");
  const row = make("div", "row");
  const stage = make("div", "stage");
  const canvas = make("canvas", "canvas");
  canvas.tabIndex = 0;
  canvas.setAttribute("role", "img");
  const tip = make("div", "tip");
  tip.hidden = true;
  stage.append(canvas, tip);
  row.append(stage);
  root.append(title, row);
  return { root, title, row, stage, canvas, tip, make };
}

function pointerIn(canvas, event) {
  // Pointer position in CSS pixels relative to the canvas.
  const rect = canvas.getBoundingClientRect();
  return [event.clientX - rect.left, event.clientY - rect.top];
}
