// b2m-explorer audio player (anywidget ESM). No network access: the audio arrives as WAV
// bytes through the `_wav` trait and is played from a Blob URL.

function toBlobUrl(wav) {
  if (!wav || wav.byteLength === 0) {
    return null;
  }
  // anywidget delivers bytes traits as a DataView; accept a bare ArrayBuffer too.
  const bytes = ArrayBuffer.isView(wav)
    ? new Uint8Array(wav.buffer, wav.byteOffset, wav.byteLength)
    : new Uint8Array(wav);
  return URL.createObjectURL(new Blob([bytes], { type: "audio/wav" }));
}

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "b2m-audio-player";
  const label = document.createElement("div");
  label.className = "b2m-audio-title";
  const audio = document.createElement("audio");
  audio.className = "b2m-audio-element";
  audio.controls = true;
  audio.preload = "auto";
  const segment = document.createElement("div");
  segment.className = "b2m-audio-segment";
  root.append(label, audio, segment);
  el.appendChild(root);

  let url = null;
  let lastSent = -1;
  // While new audio loads, the element's own "pause" must not turn `playing` off: a player
  // that was playing goes on with the new audio once its metadata arrives.
  let loading = false;

  function segmentBounds() {
    const start = Math.max(0, model.get("start") || 0);
    const end = model.get("end") || 0;
    return [start, end > start ? end : Infinity];
  }

  function showSegment() {
    const [start, end] = segmentBounds();
    const endText = Number.isFinite(end) ? end.toFixed(2) + " s" : "end";
    segment.textContent = "segment " + start.toFixed(2) + " s \u2013 " + endText;
  }

  function loadAudio() {
    if (url) {
      URL.revokeObjectURL(url);
    }
    url = toBlobUrl(model.get("_wav"));
    loading = Boolean(url);
    delete root.dataset.error;
    if (url) {
      audio.src = url;
    } else {
      audio.removeAttribute("src");
    }
    audio.load();
    root.dataset.srcId = model.get("src_id") || "";
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
      if (audio.paused) {
        play();
      }
    } else if (!audio.paused) {
      audio.pause();
    }
  }

  audio.addEventListener("loadedmetadata", () => {
    loading = false;
    audio.currentTime = segmentBounds()[0];
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
  });
  audio.addEventListener("play", () => {
    const [start, end] = segmentBounds();
    if (audio.currentTime < start || audio.currentTime >= end) {
      audio.currentTime = start; // replaying from the native controls restarts the segment
    }
    root.dataset.state = "playing";
    if (!model.get("playing")) {
      model.set("playing", true);
      model.save_changes();
    }
  });
  audio.addEventListener("pause", () => {
    root.dataset.state = "paused";
    if (!loading && model.get("playing")) {
      model.set("playing", false);
      model.save_changes();
    }
  });

  label.textContent = model.get("title");
  root.dataset.state = "paused";
  showSegment();
  loadAudio();

  model.on("change:title", () => {
    label.textContent = model.get("title");
  });
  model.on("change:_wav", loadAudio);
  model.on("change:src_id", () => {
    root.dataset.srcId = model.get("src_id") || "";
  });
  model.on("change:playing", syncPlaying);
  model.on("change:start", () => {
    showSegment();
    audio.currentTime = segmentBounds()[0];
  });
  model.on("change:end", showSegment);

  return () => {
    audio.pause();
    if (url) {
      URL.revokeObjectURL(url);
    }
  };
}

export default { render };
