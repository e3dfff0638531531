// b2m-explorer audio player (anywidget ESM). No network access: the audio is WAV bytes played
// from a Blob URL. They arrive either in the `_wav` trait (embedded in the widget state) or, by
// default, on request: when the player is about to play it sends {type: "audio-request"} to the
// kernel, which answers {type: "audio", src_id} with the bytes as one binary buffer. The waveform
// envelope and the spectrogram arrive as bytes (`_envelope`: float32 minima then maxima,
// `_spectrogram`: uint8 rows from the lowest band up) and are drawn on a canvas here.

const CANVAS_W = 720; // drawing buffer; shown at 360 css px wide (sharp on high-dpi screens)
const CANVAS_H = 240;
const WAVE_FRACTION = 0.38; // top part: waveform; bottom part: spectrogram
// Magma-like colour ramp for the spectrogram (value 0..255 -> rgb), 9 stops.
const STOPS = [
  [0, 0, 4], [28, 16, 68], [79, 18, 123], [129, 37, 129], [181, 54, 122],
  [229, 80, 100], [251, 135, 97], [254, 194, 135], [252, 253, 191],
];
const LUT = (() => {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let v = 0; v < 256; v++) {
    const pos = (v / 255) * (STOPS.length - 1);
    const i = Math.min(Math.floor(pos), STOPS.length - 2);
    const f = pos - i;
    for (let c = 0; c < 3; c++) {
      lut[v * 3 + c] = STOPS[i][c] + f * (STOPS[i + 1][c] - STOPS[i][c]);
    }
  }
  return lut;
})();

function asBytes(value) {
  // anywidget delivers bytes traits as a DataView; accept a bare ArrayBuffer too.
  if (!value || value.byteLength === 0) {
    return null;
  }
  return ArrayBuffer.isView(value)
    ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
    : new Uint8Array(value);
}

function toBlobUrl(wav) {
  const bytes = asBytes(wav);
  return bytes ? URL.createObjectURL(new Blob([bytes], { type: "audio/wav" })) : null;
}

const REQUEST_TIMEOUT_MS = 8000; // no answer by then: say why (a busy kernel, or none at all)
const CACHE_SIZE = 4; // audio fetched on request, kept per src_id for going back and forth

function asFloat32(value) {
  const bytes = asBytes(value);
  if (!bytes) {
    return null;
  }
  const copy = new Uint8Array(bytes); // aligned copy
  return new Float32Array(copy.buffer, 0, Math.floor(copy.byteLength / 4));
}

function makeButton(className, icon, label) {
  // The icon is drawn with CSS (no font glyph, no image); the label names the button.
  const button = document.createElement("button");
  button.type = "button";
  button.className = className;
  const glyph = document.createElement("span");
  glyph.className = "b2m-icon " + icon;
  glyph.setAttribute("aria-hidden", "true");
  button.appendChild(glyph);
  button.setAttribute("aria-label", label);
  button.title = label;
  return button;
}

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "b2m-audio-player";
  const label = document.createElement("div");
  label.className = "b2m-audio-title";
  const canvas = document.createElement("canvas");
  canvas.className = "b2m-audio-canvas";
  canvas.width = CANVAS_W;
  canvas.height = CANVAS_H;
  canvas.setAttribute("role", "img");
  const controls = document.createElement("div");
  controls.className = "b2m-audio-controls";
  const playButton = makeButton("b2m-audio-play", "b2m-icon-play", "Play");
  const restartButton = makeButton("b2m-audio-restart", "b2m-icon-restart", "Back to the segment start");
  const time = document.createElement("span");
  time.className = "b2m-audio-time";
  time.setAttribute("aria-live", "off");
  const segment = document.createElement("span");
  segment.className = "b2m-audio-segment";
  const status = document.createElement("span");
  status.className = "b2m-audio-status";
  status.setAttribute("role", "status");
  controls.append(playButton, restartButton, time, segment, status);
  const audio = document.createElement("audio");
  audio.className = "b2m-audio-element";
  audio.preload = "auto";
  audio.controls = false;
  root.append(label, canvas, controls, audio);
  el.appendChild(root);

  let url = null; // the URL the <audio> element plays (owned by `cache` when fetched)
  let loadedKey = null; // what loadAudio last loaded: src_id, embedded bytes, has_audio
  let requested = null; // src_id asked of the kernel and not answered yet
  let timer = null;
  const cache = new Map(); // src_id -> Blob URL of audio fetched on request (oldest first)
  let lastSent = -1;
  let picture = null; // offscreen canvas with waveform + spectrogram (no cursor)
  let frame = null;
  // While new audio loads, the element's own "pause" must not turn `playing` off: a player
  // that was playing goes on with the new audio once its metadata arrives.
  let loading = false;

  function duration() {
    return model.get("duration") || audio.duration || 0;
  }

  function segmentBounds() {
    const start = Math.max(0, model.get("start") || 0);
    const end = model.get("end") || 0;
    return [start, end > start ? end : Infinity];
  }

  function showTimes() {
    const [start, end] = segmentBounds();
    const endText = Number.isFinite(end) ? end.toFixed(2) + " s" : "end";
    segment.textContent = "segment " + start.toFixed(2) + " s \u2013 " + endText;
    const now = Number.isFinite(audio.currentTime) ? audio.currentTime : 0;
    time.textContent = now.toFixed(2) + " / " + duration().toFixed(2) + " s";
  }

  function showTitle() {
    const title = model.get("title") || "";
    label.textContent = title;
    const name = title ? " " + title : "";
    playButton.setAttribute("aria-label", (audio.paused ? "Play" : "Pause") + name);
    playButton.title = playButton.getAttribute("aria-label");
    canvas.setAttribute("aria-label", "Waveform and spectrogram" + name);
  }

  function showState() {
    const playing = !audio.paused;
    root.dataset.state = playing ? "playing" : "paused";
    playButton.firstChild.className = "b2m-icon " + (playing ? "b2m-icon-pause" : "b2m-icon-play");
    playButton.setAttribute("aria-pressed", playing ? "true" : "false");
    showTitle();
  }

  function buildPicture() {
    picture = null;
    const envelope = asFloat32(model.get("_envelope"));
    const spec = asBytes(model.get("_spectrogram"));
    const shape = model.get("_spectrogram_shape") || [0, 0];
    const off = document.createElement("canvas");
    off.width = CANVAS_W;
    off.height = CANVAS_H;
    const ctx = off.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, CANVAS_W, CANVAS_H);
    const waveH = Math.round(CANVAS_H * WAVE_FRACTION);
    if (envelope && envelope.length >= 2) {
      const n = envelope.length / 2;
      let peak = 1e-9;
      for (let i = 0; i < envelope.length; i++) {
        peak = Math.max(peak, Math.abs(envelope[i]));
      }
      const mid = waveH / 2;
      ctx.fillStyle = "#37474f";
      for (let i = 0; i < n; i++) {
        const x0 = Math.floor((i / n) * CANVAS_W);
        const x1 = Math.max(x0 + 1, Math.floor(((i + 1) / n) * CANVAS_W));
        const top = mid - (envelope[n + i] / peak) * (mid - 2);
        const bottom = mid - (envelope[i] / peak) * (mid - 2);
        ctx.fillRect(x0, top, x1 - x0, Math.max(1, bottom - top));
      }
    }
    if (spec && shape[0] > 0 && shape[1] > 0 && spec.length === shape[0] * shape[1]) {
      const [bands, frames] = shape;
      const image = new ImageData(frames, bands);
      for (let b = 0; b < bands; b++) {
        const row = bands - 1 - b; // lowest band at the bottom
        for (let f = 0; f < frames; f++) {
          const v = spec[b * frames + f];
          const o = (row * frames + f) * 4;
          image.data[o] = LUT[v * 3];
          image.data[o + 1] = LUT[v * 3 + 1];
          image.data[o + 2] = LUT[v * 3 + 2];
          image.data[o + 3] = 255;
        }
      }
      const small = document.createElement("canvas");
      small.width = frames;
      small.height = bands;
      small.getContext("2d").putImageData(image, 0, 0);
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(small, 0, waveH, CANVAS_W, CANVAS_H - waveH);
    }
    picture = off;
  }

  function draw() {
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, CANVAS_W, CANVAS_H);
    const total = duration();
    if (!picture || total <= 0) {
      ctx.fillStyle = "#f5f5f5";
      ctx.fillRect(0, 0, CANVAS_W, CANVAS_H);
      ctx.fillStyle = "#888888";
      ctx.font = "24px sans-serif";
      ctx.fillText("no audio", 20, CANVAS_H / 2);
      return;
    }
    ctx.drawImage(picture, 0, 0);
    const [start, end] = segmentBounds();
    const xStart = (start / total) * CANVAS_W;
    const xEnd = (Math.min(end, total) / total) * CANVAS_W;
    ctx.fillStyle = "rgba(255, 255, 255, 0.6)"; // dim what lies outside the segment
    ctx.fillRect(0, 0, xStart, CANVAS_H);
    ctx.fillRect(xEnd, 0, CANVAS_W - xEnd, CANVAS_H);
    const now = Number.isFinite(audio.currentTime) ? audio.currentTime : start;
    const x = (Math.min(now, total) / total) * CANVAS_W;
    ctx.fillStyle = "#1a73e8";
    ctx.fillRect(Math.max(0, x - 1.5), 0, 3, CANVAS_H);
  }

  function refresh() {
    showTimes();
    draw();
  }

  function tick() {
    refresh();
    frame = audio.paused ? null : requestAnimationFrame(tick);
  }

  function embedded() {
    return asBytes(model.get("_wav"));
  }

  function release(oldUrl) {
    // Embedded audio owns its URL; fetched audio's URLs live in the cache until evicted.
    if (oldUrl && ![...cache.values()].includes(oldUrl)) {
      URL.revokeObjectURL(oldUrl);
    }
  }

  function setSource(newUrl) {
    release(url);
    url = newUrl;
    loading = Boolean(url);
    if (url) {
      audio.src = url;
    } else {
      audio.removeAttribute("src");
    }
    audio.load();
  }

  function showStatus(text) {
    status.textContent = text;
  }

  function loadAudio() {
    const srcId = model.get("src_id") || "";
    const bytes = embedded();
    const hasAudio = Boolean(bytes) || model.get("has_audio");
    const key = srcId + "|" + (bytes ? bytes.byteLength : "remote") + "|" + hasAudio;
    if (key === loadedKey) {
      return; // one change message sets several traits; load once
    }
    loadedKey = key;
    requested = null;
    clearTimeout(timer);
    delete root.dataset.error;
    delete root.dataset.playError;
    showStatus("");
    root.dataset.srcId = srcId;
    if (bytes) {
      root.dataset.audio = "embedded";
      setSource(toBlobUrl(model.get("_wav")));
    } else if (hasAudio && cache.has(srcId)) {
      root.dataset.audio = "fetched";
      setSource(cache.get(srcId));
    } else {
      root.dataset.audio = hasAudio ? "on-request" : "none";
      setSource(null);
      if (hasAudio && model.get("playing")) {
        request();
      }
    }
    playButton.disabled = !hasAudio;
    restartButton.disabled = !hasAudio;
    refresh();
  }

  function request() {
    const srcId = model.get("src_id") || "";
    if (requested === srcId) {
      return;
    }
    requested = srcId;
    loading = true;
    root.dataset.audio = "requested";
    showStatus("loading audio\u2026");
    clearTimeout(timer);
    timer = setTimeout(unavailable, REQUEST_TIMEOUT_MS);
    try {
      model.send({ type: "audio-request", src_id: srcId });
    } catch (error) {
      clearTimeout(timer);
      requested = null; // nothing was sent: Play tries again
      unavailable();
    }
  }

  function unavailable() {
    // No answer yet: the kernel is busy with a long cell, or there is none (a saved notebook,
    // an HTML export). Stop waiting to play, but keep the request open: a late answer still
    // loads the audio, and Play then plays it.
    loading = false;
    root.dataset.audio = "unavailable";
    root.dataset.error = "no-kernel";
    showStatus("no audio yet: it comes from the running kernel (busy, or not running here)");
    if (model.get("playing")) {
      model.set("playing", false);
      model.save_changes();
    }
  }

  function onMessage(msg, buffers) {
    if (!msg || msg.type !== "audio" || msg.src_id !== requested) {
      return; // an answer for audio this player no longer holds
    }
    clearTimeout(timer);
    requested = null;
    const fetched = buffers && buffers.length ? toBlobUrl(buffers[0]) : null;
    if (!fetched) {
      unavailable();
      return;
    }
    cache.set(msg.src_id, fetched);
    while (cache.size > CACHE_SIZE) {
      const [oldest, oldUrl] = cache.entries().next().value;
      cache.delete(oldest);
      if (oldUrl !== url && oldUrl !== fetched) {
        URL.revokeObjectURL(oldUrl);
      }
    }
    showStatus("");
    delete root.dataset.error;
    root.dataset.audio = "fetched";
    setSource(fetched); // loadedmetadata then plays if `playing` is set
  }

  function play() {
    const [start, end] = segmentBounds();
    if (audio.currentTime < start || audio.currentTime >= end) {
      audio.currentTime = start;
    }
    const promise = audio.play();
    if (promise && promise.catch) {
      // Autoplay can be refused by the browser until the user interacts with the page.
      promise.catch(() => {
        root.dataset.playError = "blocked";
        model.set("playing", false);
        model.save_changes();
      });
    }
  }

  function syncPlaying() {
    if (model.get("playing")) {
      if (!url && model.get("has_audio") && !embedded()) {
        request(); // plays once the audio has arrived and loaded
      } else if (audio.paused && !loading) {
        play();
      }
    } else if (!audio.paused) {
      audio.pause();
    }
  }

  function setPlaying(value) {
    model.set("playing", value);
    model.save_changes();
    syncPlaying();
  }

  // A second click while the audio is still on its way cancels the pending play.
  playButton.addEventListener("click", () =>
    setPlaying(audio.paused && !(loading && model.get("playing"))),
  );
  restartButton.addEventListener("click", () => {
    audio.currentTime = segmentBounds()[0];
    refresh();
  });
  canvas.addEventListener("click", (event) => {
    const total = duration();
    if (!url || total <= 0) {
      return;
    }
    const rect = canvas.getBoundingClientRect();
    const [start, end] = segmentBounds();
    const wanted = ((event.clientX - rect.left) / rect.width) * total;
    audio.currentTime = Math.min(Math.max(wanted, start), Math.min(end, total));
    refresh();
  });

  audio.addEventListener("loadedmetadata", () => {
    loading = false;
    audio.currentTime = segmentBounds()[0];
    refresh();
    syncPlaying();
  });
  audio.addEventListener("error", () => {
    if (!url) {
      return;
    }
    loading = false;
    root.dataset.error = "decode";
    if (model.get("playing")) {
      model.set("playing", false);
      model.save_changes();
    }
  });
  audio.addEventListener("timeupdate", () => {
    const [, end] = segmentBounds();
    if (audio.currentTime >= end) {
      audio.pause();
      audio.currentTime = end;
    }
    const now = Math.round(audio.currentTime * 100) / 100;
    if (now !== lastSent) {
      lastSent = now;
      model.set("current_time", now);
      model.save_changes();
    }
    refresh();
  });
  audio.addEventListener("play", () => {
    const [start, end] = segmentBounds();
    if (audio.currentTime < start || audio.currentTime >= end) {
      audio.currentTime = start; // replaying restarts the segment
    }
    showState();
    if (!model.get("playing")) {
      model.set("playing", true);
      model.save_changes();
    }
    if (frame === null) {
      frame = requestAnimationFrame(tick);
    }
  });
  audio.addEventListener("pause", () => {
    showState();
    refresh();
    if (!loading && model.get("playing")) {
      model.set("playing", false);
      model.save_changes();
    }
  });

  function showOverview() {
    canvas.style.display = model.get("show_overview") ? "" : "none";
  }

  showTitle();
  showState();
  showOverview();
  buildPicture();
  loadAudio();

  model.on("change:title", showTitle);
  model.on("change:_wav", loadAudio);
  model.on("change:has_audio", loadAudio);
  model.on("msg:custom", onMessage);
  model.on("change:_envelope", () => {
    buildPicture();
    refresh();
  });
  model.on("change:_spectrogram", () => {
    buildPicture();
    refresh();
  });
  model.on("change:src_id", loadAudio);
  model.on("change:duration", refresh);
  model.on("change:show_overview", showOverview);
  model.on("change:playing", syncPlaying);
  model.on("change:start", () => {
    audio.currentTime = segmentBounds()[0];
    refresh();
  });
  model.on("change:end", refresh);

  return () => {
    if (frame !== null) {
      cancelAnimationFrame(frame);
    }
    audio.pause();
    clearTimeout(timer);
    release(url);
    for (const cached of cache.values()) {
      URL.revokeObjectURL(cached);
    }
    cache.clear();
  };
}

export default { render };
