// Crewline assessment sitting: drives one attempt through the JSON API (/api/v1/attempts/{id}).
//
// One item at a time, with the project's own widget from widgets.js (the workspace's widgets, so a
// candidate is tested on the controls they will work with). Each step forward saves the answer
// with the active seconds spent on the item (the same idle-aware clock the workspace uses); going
// back keeps what was chosen on this page. The countdown is the server's: `seconds_left` is read
// when the sitting loads, and at zero the page hands in what was saved. A trial stops after round
// one for its feedback, then starts round two; at the end the page shows the result.

import {
  $, el, say, clearAlert, showProblem, clock, ApiError, request, withRetry, showError, timer,
  bindKeys, WIDGETS,
} from "./widgets.js";

const root = $("sitting");
const csrf = root.dataset.csrf;
const API = `/api/v1/attempts/${root.dataset.attempt}`;
const WARN_AT_MINUTES = [5, 1]; // the timer speaks (politely) when this much time is left
const RELOGIN = { next: location.pathname, keeps: " — your attempt keeps running on the server's clock." };

const call = (path, method = "GET", body = undefined) => request(API + path, { method, body, csrf });

let sitting = null; // the last Sitting the API sent
let index = 0; // position of the item shown, in sitting.items
let current = null; // { item, widget } on screen
const built = new Map(); // item id -> its widget, so going back shows what was chosen
const saved = new Map(); // item id -> the answer the server holds, as JSON
const spent = new Map(); // item id -> active seconds on it so far
let deadline = null; // performance.now() when the round's time runs out
const warned = new Set();
let busy = false;
let timeUp = false;

// --- showing the sitting ---------------------------------------------------------------------------

function load(next) {
  sitting = next;
  const { attempt } = next;
  for (const id of ["sit-item", "sit-feedback", "sit-result"]) $(id).hidden = true;
  $("sit-timer").hidden = attempt.status !== "in_progress";
  $("sit-help").hidden = attempt.status !== "in_progress";
  current = null;
  timer.stop();
  if (attempt.status === "in_progress") startRound(next);
  else if (attempt.status === "feedback") showFeedback(next);
  else showResult(next);
}

function startRound(next) {
  const left = next.seconds_left;
  deadline = performance.now() + left * 1000;
  warned.clear();
  // a sitting resumed with 3 minutes left does not announce "5 minutes left"
  for (const minutes of WARN_AT_MINUTES) if (left <= minutes * 60) warned.add(minutes);
  timeUp = false;
  built.clear();
  saved.clear();
  for (const item of next.items) {
    if (item.answered) saved.set(item.id, JSON.stringify(item.answer));
  }
  const { round, rounds } = next.attempt;
  $("sit-round").textContent = rounds > 1 ? `Round ${round} of ${rounds}` : "";
  $("sit-item").hidden = false;
  const firstOpen = next.items.findIndex((item) => !item.answered);
  show(firstOpen < 0 ? 0 : firstOpen);
  tick();
}

function unsupported(widget) {
  return {
    node: el("p", { class: "alert" }, `This page cannot show "${widget.type}" items yet; hand in and tell your recruiter.`),
    value: () => null,
    check: () => "This item type is not supported here.",
    key: () => false,
    focus: () => $("sit-finish-open").focus(),
  };
}

function show(position) {
  const items = sitting.items;
  index = position;
  const item = items[index];
  let widget = built.get(item.id);
  if (!widget) {
    const make = WIDGETS[sitting.widget.type];
    widget = make ? make(sitting.widget, item.data) : unsupported(sitting.widget);
    built.set(item.id, widget);
  }
  current = { item, widget };
  closeConfirm();
  $("sit-progress").textContent = `Item ${index + 1} of ${items.length}`;
  $("ws-widget").replaceChildren(widget.node);
  $("sit-prev").disabled = index === 0;
  $("sit-next").firstChild.textContent = index === items.length - 1 ? "Save and finish… " : "Save and next ";
  const earlier = saved.get(item.id);
  const note = $("sit-saved");
  note.hidden = earlier === undefined || widget.check() === null;
  if (!note.hidden) note.textContent = `Saved earlier: ${summary(JSON.parse(earlier))}. Answer again to change it.`;
  progress();
  timer.start((spent.get(item.id) || 0) * 1000);
  widget.focus();
}

/** A short reading of a saved answer (a label, a list of labels, or just that there is one). */
function summary(answer) {
  if (typeof answer === "string" || typeof answer === "number") return String(answer);
  if (Array.isArray(answer) && answer.every((a) => typeof a === "string")) return answer.join(", ") || "none";
  return "an answer";
}

function progress() {
  const total = sitting.items.length;
  const answered = sitting.items.filter((item) => saved.has(item.id)).length;
  $("sit-bar").max = total;
  $("sit-bar").value = answered;
  $("sit-answered").textContent = `${answered} of ${total} answered`;
}

function percent(share, digits = 0) {
  return share === null || share === undefined ? "—" : `${(share * 100).toFixed(digits)} %`;
}

function showFeedback(next) {
  $("sit-feedback").hidden = false;
  const graded = next.feedback;
  const right = graded.filter((result) => result.correct).length;
  $("sit-feedback-score").textContent = `You got ${right} of ${graded.length} items right in round 1. Read why before round 2:`;
  $("sit-feedback-list").replaceChildren(
    ...graded.map((result) =>
      el("li", { class: result.correct ? "sit-right" : "sit-wrong" },
        el("strong", {}, result.correct ? "Right" : "Not right"),
        ` (score ${percent(result.score)})`,
        result.feedback ? `: ${result.feedback}` : "",
        result.tags.length ? el("small", { class: "muted" }, ` — ${result.tags.join(", ").replaceAll("_", " ")}`) : null,
      ),
    ),
  );
  $("sit-feedback").focus();
  say("Round 1 handed in: read the feedback, then start round 2.");
}

const DIMENSIONS = [
  ["accuracy", "Accuracy"],
  ["domain", "Domain knowledge"],
  ["guideline", "Following the guidelines"],
  ["edge_case", "Edge cases"],
  ["consistency", "Consistency"],
];

function showResult(next) {
  const { attempt } = next;
  const dimensions = attempt.dimensions || {};
  const rows = DIMENSIONS.filter(([key]) => dimensions[key] !== null && dimensions[key] !== undefined).map(
    ([key, label]) => el("tr", {}, el("th", { scope: "row" }, label), el("td", { class: "num" }, percent(dimensions[key]))),
  );
  const body = [
    el("p", { class: "sit-score" }, "Score: ", el("strong", {}, percent(attempt.score))),
    attempt.outcome
      ? el("p", {}, "Outcome: ", el("span", { class: `status outcome-${attempt.outcome}` }, attempt.outcome))
      : el("p", {}, "Your outcome is being decided."),
    attempt.outcome_reason ? el("p", {}, `You ${attempt.outcome_reason}.`) : null,
    attempt.status === "expired" ? el("p", { class: "muted" }, "The time ran out before you handed in.") : null,
  ];
  if (rows.length) {
    body.push(
      el("table", { class: "data sit-dimensions" },
        el("caption", {}, "Your score on each dimension"),
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Dimension"), el("th", { scope: "col", class: "num" }, "Score"))),
        el("tbody", {}, rows),
      ),
    );
  }
  if (attempt.learning) {
    const { first, second } = attempt.learning;
    body.push(el("p", {}, `Round 1: ${percent(first)}; round 2: ${percent(second)}.`));
  }
  $("sit-result-body").replaceChildren(...body.filter(Boolean));
  $("sit-result").hidden = false;
  $("sit-result").focus();
  say(attempt.outcome ? `Finished: ${attempt.outcome}.` : "Finished.");
}

// --- the countdown ---------------------------------------------------------------------------------

function tick() {
  if (!sitting || sitting.attempt.status !== "in_progress" || deadline === null) return;
  const left = Math.max(0, (deadline - performance.now()) / 1000);
  $("sit-clock").textContent = clock(left);
  $("sit-timer").classList.toggle("ws-warn", left < 60);
  for (const minutes of WARN_AT_MINUTES) {
    if (left <= minutes * 60 && !warned.has(minutes)) {
      warned.add(minutes);
      say(`${minutes} minute${minutes === 1 ? "" : "s"} left.`);
    }
  }
  if (left <= 0 && !timeUp && !busy) {
    timeUp = true;
    handIn("Time is up: handing in the answers saved so far…");
  }
}

setInterval(tick, 500);

// --- actions ---------------------------------------------------------------------------------------

function setBusy(value) {
  busy = value;
  $("sit-item").setAttribute("aria-busy", String(value));
  for (const id of ["sit-prev", "sit-next", "sit-finish-open", "sit-finish", "sit-round2"]) {
    $(id).disabled = value || (id === "sit-prev" && index === 0);
  }
}

/** Show the attempt as the server has it now, keeping the message that explains why. */
async function reload() {
  try {
    load(await call(""));
  } catch {
    say("Reload the page to see where your attempt stands.");
  }
}

async function run(label, action) {
  if (busy) return;
  clearAlert();
  if (label) say(label);
  setBusy(true);
  try {
    await action();
  } catch (error) {
    showError(error, RELOGIN);
    // 409: the time ran out (the server closed the attempt) or the round moved on: show where it is
    if (error instanceof ApiError && error.status === 409) await reload();
  } finally {
    setBusy(false);
  }
}

/** Save the answer on screen if it changed; false when an answer is needed and not ready. */
async function save(needed) {
  const { item, widget } = current;
  const seconds = Math.min(86400, Math.round(timer.seconds() * 100) / 100);
  spent.set(item.id, seconds);
  const problem = widget.check();
  if (problem) {
    if (!needed || saved.has(item.id)) return true;
    showProblem(problem);
    widget.focus();
    return false;
  }
  const answer = widget.value();
  const json = JSON.stringify(answer);
  if (saved.get(item.id) === json) return true;
  await withRetry(() => call(`/items/${item.id}`, "PUT", { answer, seconds }));
  saved.set(item.id, json);
  return true;
}

function step(delta) {
  if (!current) return;
  run(null, async () => {
    if (!(await save(delta > 0))) return;
    const to = index + delta;
    if (to >= sitting.items.length) {
      progress();
      openConfirm();
    } else if (to >= 0) {
      show(to);
      say(`Item ${to + 1} of ${sitting.items.length}.`);
    }
  });
}

function handIn(label) {
  run(label, async () => {
    if (current) await save(false);
    load(await call("/finish", "POST"));
  });
}

function openConfirm() {
  const open = sitting.items.length - sitting.items.filter((item) => saved.has(item.id)).length;
  $("sit-confirm-text").textContent = open
    ? `${open} item${open === 1 ? " is" : "s are"} not answered and will count as wrong. You cannot change your answers after handing in.`
    : "Every item is answered. You cannot change your answers after handing in.";
  $("sit-confirm").hidden = false;
  $("sit-finish-open").setAttribute("aria-expanded", "true");
  $("sit-finish").focus();
}

function closeConfirm() {
  $("sit-confirm").hidden = true;
  $("sit-finish-open").setAttribute("aria-expanded", "false");
}

$("sit-prev").addEventListener("click", () => step(-1));
$("sit-next").addEventListener("click", () => step(1));
$("sit-finish-open").addEventListener("click", () => {
  if ($("sit-confirm").hidden) run(null, async () => {
    await save(false);
    progress();
    openConfirm();
  });
  else closeConfirm();
});
$("sit-confirm").addEventListener("submit", (event) => {
  event.preventDefault();
  handIn("Handing in…");
});
$("sit-keep").addEventListener("click", () => {
  closeConfirm();
  if (current) current.widget.focus();
});
$("sit-confirm").addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    event.preventDefault();
    closeConfirm();
    $("sit-finish-open").focus();
  }
});
$("sit-round2").addEventListener("click", () =>
  run("Starting round 2…", async () => {
    load(await call("/next-round", "POST"));
    say(`Round 2 started: item 1 of ${sitting.items.length}.`);
  }),
);
bindKeys({ widget: () => current && current.widget, area: $("ws-task"), submit: () => step(1) });

run("Loading your attempt…", async () => {
  load(await call(""));
  if (sitting.attempt.status === "in_progress") say("");
});
