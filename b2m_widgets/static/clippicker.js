// b2m-explorer clip picker (anywidget ESM): a labelled native <select> whose options are
// grouped (<optgroup>) and carry their full name as a tooltip. Keys pressed in it stay in it:
// JupyterLab's notebook shortcuts (arrows move between cells) never see them. All text is set
// with textContent: never interpreted as HTML.

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "b2m-clip-picker";
  const label = document.createElement("label");
  const select = document.createElement("select");
  select.id = "b2m-clip-picker-" + Math.random().toString(36).slice(2);
  label.htmlFor = select.id;
  root.append(label, select);
  el.appendChild(root);

  function build() {
    label.textContent = model.get("description") || "";
    select.setAttribute("aria-label", model.get("description") || "clip");
    select.replaceChildren();
    const none = document.createElement("option");
    none.value = "-1";
    none.textContent = model.get("placeholder") || "";
    select.appendChild(none);
    let group = null;
    let groupName = null;
    for (const item of model.get("options") || []) {
      if (item.group !== groupName) {
        groupName = item.group;
        group = document.createElement("optgroup");
        group.label = groupName || "";
        select.appendChild(group);
      }
      const option = document.createElement("option");
      option.value = String(item.value);
      option.textContent = item.label || "";
      option.title = item.title || item.label || "";
      (group || select).appendChild(option);
    }
    select.value = String(model.get("value"));
    select.title = select.selectedOptions.length ? select.selectedOptions[0].title : "";
  }

  select.addEventListener("change", () => {
    model.set("value", Number(select.value));
    model.save_changes();
    select.title = select.selectedOptions.length ? select.selectedOptions[0].title : "";
  });
  select.addEventListener("keydown", (event) => {
    if (event.key !== "Tab" && event.key !== "Escape") {
      event.stopPropagation(); // keep JupyterLab's notebook shortcuts out of the picker
    }
  });

  build();
  model.on("change:options", build);
  model.on("change:description", build);
  model.on("change:value", () => {
    select.value = String(model.get("value"));
    select.title = select.selectedOptions.length ? select.selectedOptions[0].title : "";
  });
}

export default { render };
