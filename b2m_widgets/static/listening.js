// b2m-explorer blind listening test (anywidget ESM): the question, the two choices, Confirm and
// the running score. The three players (heard clip, candidates 1 and 2) are AudioPlayer widgets
// beside this panel. Keyboard, while focus is inside the panel: "1" / "2" choose, Enter
// confirms and goes to the next trial. The panel's own keydown events are stopped from reaching
// JupyterLab (whose command mode would turn "1" into a heading cell and Enter into edit mode).
// All text is set with textContent: never interpreted as HTML.

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "b2m-listening";
  root.tabIndex = 0;
  root.setAttribute("role", "group");
  root.setAttribute(
    "aria-label",
    "Listening test: which candidate matches the heard clip? Press 1 or 2, then Enter.",
  );
  const progress = document.createElement("div");
  progress.className = "b2m-listening-progress";
  const question = document.createElement("div");
  question.className = "b2m-listening-question";
  question.textContent = "Which candidate matches the heard clip?";
  const buttons = document.createElement("div");
  buttons.className = "b2m-listening-buttons";

  function makeButton(cls, text, label) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = cls;
    button.textContent = text;
    button.setAttribute("aria-label", label);
    button.title = label;
    return button;
  }

  const choices = [1, 2].map((c) => {
    const b = makeButton(
      "b2m-listening-choice",
      String(c),
      "Candidate " + c + " matches the heard clip (key " + c + ")",
    );
    b.dataset.choice = String(c);
    b.addEventListener("click", () => choose(c));
    return b;
  });
  const confirm = makeButton(
    "b2m-listening-confirm",
    "Confirm",
    "Confirm the answer and go to the next trial (Enter)",
  );
  confirm.addEventListener("click", () => submit());
  buttons.append(...choices, confirm);
  const score = document.createElement("div");
  score.className = "b2m-listening-score";
  score.setAttribute("role", "status");
  score.setAttribute("aria-live", "polite");
  const result = document.createElement("div");
  result.className = "b2m-listening-result";
  result.setAttribute("role", "status");
  result.setAttribute("aria-live", "polite");
  root.append(progress, question, buttons, score, result);
  el.appendChild(root);

  function choose(c) {
    if (model.get("done")) {
      return;
    }
    model.set("choice", c);
    model.save_changes();
    show();
  }

  function submit() {
    const choice = model.get("choice");
    if (model.get("done") || (choice !== 1 && choice !== 2)) {
      return;
    }
    model.send({ type: "confirm", trial: model.get("trial"), choice: choice });
  }

  function show() {
    const done = model.get("done");
    const n = model.get("n_trials");
    const answered = model.get("n_answered");
    const correct = model.get("n_correct");
    const choice = model.get("choice");
    progress.textContent = done
      ? "Finished: " + n + " of " + n + " trials"
      : "Trial " + (model.get("trial") + 1) + " of " + n;
    choices.forEach((b, i) => {
      b.setAttribute("aria-pressed", choice === i + 1 ? "true" : "false");
      b.disabled = done;
    });
    confirm.disabled = done || (choice !== 1 && choice !== 2);
    score.dataset.answered = String(answered);
    score.dataset.correct = String(correct);
    score.textContent = "Score: " + correct + " of " + answered + " correct";
    result.textContent = model.get("result_text") || "";
    root.dataset.done = done ? "true" : "false";
    root.dataset.trial = String(model.get("trial"));
  }

  root.addEventListener("keydown", (event) => {
    if (event.key === "1" || event.key === "2") {
      choose(Number(event.key));
      event.preventDefault();
    } else if (event.key === "Enter") {
      submit();
      event.preventDefault(); // no click of a focused button on top
    }
    event.stopPropagation(); // keep every key of the panel away from JupyterLab's shortcuts
  });

  show();
  for (const name of ["trial", "n_trials", "n_answered", "n_correct", "choice", "done"]) {
    model.on("change:" + name, show);
  }
  model.on("change:result_text", show);
}

export default { render };
