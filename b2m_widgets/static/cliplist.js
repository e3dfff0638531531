// b2m-explorer clip list (anywidget ESM): a keyboard-operable list box. Rows are focusable
// options (one tab stop, roving tabindex); ArrowUp/ArrowDown/Home/End move the selection,
// Enter or Space (or a click) activates the selected row, which Python answers (e.g. by
// playing the clip). All text is set with textContent: never interpreted as HTML.

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "b2m-clip-list";
  const header = document.createElement("div");
  header.className = "b2m-clip-list-title";
  header.id = "b2m-clip-list-" + Math.random().toString(36).slice(2);
  const list = document.createElement("ul");
  list.className = "b2m-clip-list-rows";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-labelledby", header.id);
  const empty = document.createElement("div");
  empty.className = "b2m-clip-list-empty";
  root.append(header, list, empty);
  el.appendChild(root);

  let rows = [];

  function items() {
    return model.get("items") || [];
  }

  function isDisabled(i) {
    const item = items()[i];
    return !item || Boolean(item.disabled);
  }

  function showActive(focus) {
    const active = model.get("active");
    const current = model.get("current");
    const fallback = active >= 0 && active < rows.length ? active : 0;
    rows.forEach((row, i) => {
      row.setAttribute("aria-selected", i === active ? "true" : "false");
      row.tabIndex = i === fallback ? 0 : -1;
      row.classList.toggle("b2m-clip-row-current", i === current);
      if (i === current) {
        row.setAttribute("aria-current", "true");
      } else {
        row.removeAttribute("aria-current");
      }
    });
    if (focus && active >= 0 && active < rows.length) {
      rows[active].focus();
      rows[active].scrollIntoView({ block: "nearest" });
    }
  }

  function setActive(i, focus) {
    if (i < 0 || i >= rows.length) {
      return;
    }
    model.set("active", i);
    model.save_changes();
    showActive(focus);
  }

  function activate(i) {
    if (i < 0 || i >= rows.length || isDisabled(i)) {
      return;
    }
    setActive(i, false);
    model.send({ type: "activate", row: i });
  }

  function build() {
    const data = items();
    // Rows are rebuilt when Python answers an activation (e.g. a new clip's list): keep the
    // keyboard focus in the list instead of letting it fall to the page body.
    const hadFocus = root.contains(document.activeElement);
    header.textContent = model.get("title") || "";
    list.replaceChildren();
    rows = data.map((item, i) => {
      const row = document.createElement("li");
      row.className = "b2m-clip-row";
      row.setAttribute("role", "option");
      row.dataset.row = String(i);
      if (item.key) {
        row.dataset.key = item.key;
      }
      if (item.disabled) {
        row.setAttribute("aria-disabled", "true");
      }
      const rank = document.createElement("span");
      rank.className = "b2m-clip-rank";
      rank.textContent = i + 1 + ".";
      const play = document.createElement("span");
      play.className = "b2m-clip-play";
      play.setAttribute("aria-hidden", "true");
      play.textContent = item.disabled ? "\u00B7" : "\u25B6";
      const text = document.createElement("span");
      text.className = "b2m-clip-label";
      text.textContent = item.label || "";
      const detail = document.createElement("span");
      detail.className = "b2m-clip-detail";
      detail.textContent = item.detail || "";
      const score = document.createElement("span");
      score.className = "b2m-clip-score";
      score.textContent = item.score || "";
      row.append(play, rank, text, detail, score);
      row.addEventListener("click", () => activate(i));
      row.addEventListener("focus", () => {
        if (model.get("active") !== i) {
          setActive(i, false);
        }
      });
      list.appendChild(row);
      return row;
    });
    empty.textContent = data.length ? "" : model.get("empty_text") || "";
    list.tabIndex = data.length ? -1 : 0;
    showActive(false);
    if (hadFocus) {
      const target = rows.find((row) => row.tabIndex === 0) || list;
      target.focus({ preventScroll: true });
    }
  }

  list.addEventListener("keydown", (event) => {
    if (!rows.length) {
      return;
    }
    const active = model.get("active");
    const here = active >= 0 && active < rows.length ? active : 0;
    let next = null;
    if (event.key === "ArrowDown") {
      next = Math.min(rows.length - 1, active < 0 ? 0 : here + 1);
    } else if (event.key === "ArrowUp") {
      next = Math.max(0, here - 1);
    } else if (event.key === "Home") {
      next = 0;
    } else if (event.key === "End") {
      next = rows.length - 1;
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      event.stopPropagation();
      activate(here);
      return;
    }
    if (next !== null) {
      event.preventDefault();
      event.stopPropagation(); // keep JupyterLab's notebook shortcuts out of the list
      setActive(next, true);
    }
  });

  build();
  model.on("change:items", build);
  model.on("change:title", () => {
    header.textContent = model.get("title") || "";
  });
  model.on("change:empty_text", build);
  model.on("change:active", () => showActive(false));
  model.on("change:current", () => showActive(false));
}

export default { render };
