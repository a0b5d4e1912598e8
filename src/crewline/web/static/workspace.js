// Crewline annotator workspace: drives the worker JSON API (/api/v1/work/...) from one page.
//
// The widgets, the active-time clock and the small page helpers come from widgets.js, which the
// assessment sitting shares. Active time counts only while the page is visible and focused, and
// stops after the idle cut-off without input (see `timer` there). Each assignment gets one
// client_submission_id, kept in sessionStorage, so a retried submit is idempotent.

import {
  $, el, say, clearAlert, showProblem, clock, localTime, ApiError, request, withRetry,
  showError as showApiError, timer, bindKeys, WIDGETS, renderMarkdown,
} from "./widgets.js";

const API = "/api/v1/work";
const LEASE_WARN_MS = 5 * 60 * 1000;

const root = document.getElementById("workspace");
const csrf = root.dataset.csrf;

function uuid() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// --- the API -----------------------------------------------------------------------------------

const call = (path, body) =>
  request(API + path, { method: body === undefined ? "GET" : "POST", body, csrf });

const showError = (error) =>
  showApiError(error, { next: "/work", keeps: " — your task stays yours until its lease runs out." });

window.addEventListener("pagehide", () => remember());

// --- the current assignment ---------------------------------------------------------------------

let current = null; // { item, sid, widget, and the lease keeping state (see keepLease) }
let busy = false;
let focusWhenIdle = null; // an element to focus once the buttons are enabled again
const guideSeen = new Map(); // project id -> the guideline version of its last task here

const storeKey = (id) => `crewline.work.${id}`;

function remembered(id) {
  try {
    return JSON.parse(sessionStorage.getItem(storeKey(id))) || {};
  } catch {
    return {};
  }
}

function remember() {
  if (!current) return;
  try {
    sessionStorage.setItem(
      storeKey(current.item.assignment.id),
      JSON.stringify({ sid: current.sid, ms: timer.seconds() * 1000 }),
    );
  } catch {
    /* private mode: the id lives in memory only */
  }
}

function forget(id) {
  try {
    sessionStorage.removeItem(storeKey(id));
  } catch {
    /* nothing stored */
  }
}

function setBusy(value) {
  busy = value;
  root.querySelector(".ws-main").setAttribute("aria-busy", String(value));
  for (const id of ["ws-next", "ws-submit", "ws-skip-open", "ws-return", "ws-flag-open"]) {
    const button = $(id);
    if (button) button.disabled = value;
  }
  for (const button of root.querySelectorAll(".ws-panel button[type=submit]")) button.disabled = value;
  if (!value && focusWhenIdle) {
    focusWhenIdle.focus();
    focusWhenIdle = null;
  }
}

function closePanels() {
  for (const [panel, opener] of [["ws-skip", "ws-skip-open"], ["ws-flag", "ws-flag-open"]]) {
    $(panel).hidden = true;
    $(opener).setAttribute("aria-expanded", "false");
  }
}

function showEmpty(reason) {
  current = null;
  timer.stop();
  closePanels();
  $("ws-task").hidden = true;
  $("ws-empty").hidden = false;
  $("ws-empty-title").textContent = "No task for you right now";
  $("ws-empty-reason").textContent = reason
    ? reason.charAt(0).toUpperCase() + reason.slice(1) + "."
    : "There is no task open.";
  if (busy) focusWhenIdle = $("ws-next");
  else $("ws-next").focus();
}

function show(item) {
  if (!item || !item.assignment) {
    showEmpty(item ? item.reason : null);
    say(item && item.reason ? `No task: ${item.reason}.` : "");
    return;
  }
  const { assignment, project, guidelines, widget } = item;
  const saved = remembered(assignment.id);
  const builder = WIDGETS[widget.type];
  const built = builder
    ? builder(widget, item.task.data)
    : unknownWidget(widget);
  current = {
    item,
    sid: saved.sid || uuid(),
    widget: built,
    leaseMs: new Date(assignment.lease_expires_at) - new Date(assignment.leased_at),
    keptAt: -Infinity, // performance.now() of the last extension asked for
    keeping: false, // an extension is in flight
    kept: true, // false once the server will not extend this lease any further
  };
  remember();
  closePanels();
  $("ws-project").textContent = project.name;
  $("ws-task-id").textContent = `#${item.task.id}`;
  $("ws-guide-version").textContent = guidelines ? `version ${guidelines.version}` : "none";
  $("ws-guide-v").textContent = guidelines ? `v${guidelines.version}` : "";
  $("ws-guide-body").innerHTML = guidelines
    ? renderMarkdown(guidelines.body)
    : "<p>This project has no guidelines yet.</p>";
  $("ws-guide-body").scrollTop = 0;
  showLease(assignment);
  $("ws-widget").replaceChildren(built.node);
  $("ws-empty").hidden = true;
  $("ws-task").hidden = false;
  timer.start(saved.ms || 0);
  tick();
  built.focus();
}

function showLease(assignment) {
  const lease = new Date(assignment.lease_expires_at);
  $("ws-lease").dateTime = lease.toISOString();
  $("ws-lease").textContent = localTime(lease);
}

// --- keeping the lease -----------------------------------------------------------------------------
// A worker still on a task when half its lease has run gets it extended (POST …/extend), at most
// once a minute and only while they are present (input within the idle cut-off), so an abandoned
// tab lets the task go back to the pool on time. The server caps one task at 4 hours; once an
// extension no longer moves the expiry, or is refused, the page stops asking.

const KEEP_EVERY_MS = 60 * 1000;

async function keepLease() {
  const held = current;
  if (!held || held.keeping || !held.kept || !timer.present()) return;
  const assignment = held.item.assignment;
  const left = new Date(assignment.lease_expires_at) - Date.now();
  if (left <= 0 || left > held.leaseMs / 2) return;
  if (performance.now() - held.keptAt < KEEP_EVERY_MS) return;
  held.keeping = true;
  held.keptAt = performance.now();
  try {
    const extended = await call(`/${assignment.id}/extend`, {});
    const until = new Date(extended.lease_expires_at);
    if (until <= new Date(assignment.lease_expires_at)) held.kept = false;
    assignment.lease_expires_at = extended.lease_expires_at;
    if (current === held) {
      showLease(assignment);
      tick();
    }
  } catch (error) {
    // 409: the lease expired or the task is no longer held; anything else is retried next minute
    if (error instanceof ApiError && error.status === 409) held.kept = false;
  } finally {
    held.keeping = false;
  }
}

function tick() {
  if (!current) return;
  $("ws-active").textContent = clock(timer.seconds());
  const left = new Date(current.item.assignment.lease_expires_at) - Date.now();
  const note = $("ws-lease-left");
  note.classList.toggle("ws-warn", left < LEASE_WARN_MS);
  if (left <= 0) {
    note.textContent = "(expired: the task may have gone to someone else)";
  } else {
    const minutes = Math.ceil(left / 60000);
    note.textContent = minutes > 90 ? `(in ${Math.round(minutes / 60)} h)` : `(in ${minutes} min)`;
  }
}

setInterval(() => {
  tick();
  remember();
  keepLease();
}, 1000);

function addMyWork(stored, projectName, activeSeconds) {
  const body = $("my-work-rows");
  for (const stale of body.querySelectorAll(`.ws-none, tr[data-assignment="${stored.id}"]`)) stale.remove();
  const when = new Date(stored.finished_at || stored.leased_at);
  const state = el("span", { class: `status ws-state-${stored.state}` }, stored.state.replace("_", " "));
  body.prepend(
    el("tr", { "data-assignment": stored.id },
      el("td", {}, `#${stored.task_id}`),
      el("td", {}, projectName),
      el("td", {}, state, stored.skip_reason ? el("small", { class: "muted" }, ` — ${stored.skip_reason}`) : null),
      el("td", {}, el("time", { datetime: when.toISOString() }, localTime(when))),
      el("td", { class: "num" }, activeSeconds === null ? "—" : clock(activeSeconds)),
    ),
  );
}

// --- actions -------------------------------------------------------------------------------------

async function run(label, action) {
  if (busy) return;
  clearAlert();
  if (label) say(label);
  setBusy(true);
  try {
    await action();
  } catch (error) {
    showError(error);
    if (current && error instanceof ApiError && error.status === 409) {
      say("The task may no longer be yours: get the next task to carry on.");
    }
  } finally {
    setBusy(false);
  }
}

async function loadNext() {
  const item = await call("/next", {});
  show(item);
  if (!item.assignment) return;
  const { project, guidelines } = item;
  const before = guideSeen.get(project.id);
  const now = guidelines ? guidelines.version : null;
  guideSeen.set(project.id, now);
  if (before !== undefined && before !== now) {
    say(`The guidelines of ${project.name} changed (v${before} → v${now}): read them before you label.`);
  } else {
    say(`New task from ${project.name}.`);
  }
}

/** Load the next task after finishing one; if that fails, leave the empty state, not the old task. */
async function next(done) {
  try {
    await loadNext();
  } catch (error) {
    showEmpty(`${done}, but the next task did not load; press Get next task to try again`);
    throw error;
  }
}

function finish(stored, verb, activeSeconds) {
  const { item } = current;
  forget(item.assignment.id);
  addMyWork(stored, item.project.name, activeSeconds);
  current = null;
  timer.stop();
  say(verb);
}

function submit() {
  if (!current || busy) return;
  const problem = current.widget.check();
  if (problem) {
    showProblem(problem);
    current.widget.focus();
    return;
  }
  const { item, sid, widget } = current;
  const active = Math.min(24 * 3600, Math.round(timer.seconds() * 100) / 100);
  const body = { client_submission_id: sid, value: widget.value(), active_seconds: active };
  run("Submitting…", async () => {
    const stored = await withRetry(() => call(`/${item.assignment.id}/submit`, body));
    finish(stored, "Submitted. Loading your next task…", active);
    await next("your answer was saved");
  });
}

function skip(reason) {
  if (!current) return;
  const { item } = current;
  const active = timer.seconds();
  run("Skipping…", async () => {
    const stored = await call(`/${item.assignment.id}/skip`, { reason });
    finish(stored, "Skipped. Loading your next task…", active);
    await next("the task was skipped");
  });
}

function giveBack() {
  if (!current) return;
  const { item } = current;
  const active = timer.seconds();
  run("Giving the task back…", async () => {
    const stored = await call(`/${item.assignment.id}/return`, {});
    finish(stored, "Task given back.", active);
    showEmpty("you gave the task back; get the next one when you are ready");
  });
}

function flag(kind, body) {
  if (!current) return;
  const { item } = current;
  run("Sending…", async () => {
    await call(`/${item.assignment.id}/flag`, { kind, body });
    $("ws-flag").reset();
    closePanels();
    say(kind === "question" ? "Question sent to the reviewers." : "Edge case sent to the reviewers.");
    current.widget.focus();
  });
}

function togglePanel(panelId, openerId, focusId) {
  const panel = $(panelId);
  const opening = panel.hidden;
  closePanels();
  panel.hidden = !opening;
  $(openerId).setAttribute("aria-expanded", String(opening));
  if (opening) $(focusId).focus();
}

$("ws-next").addEventListener("click", () => run("Looking for your next task…", loadNext));
$("ws-submit").addEventListener("click", submit);
$("ws-return").addEventListener("click", giveBack);
$("ws-skip-open").addEventListener("click", () => togglePanel("ws-skip", "ws-skip-open", "ws-skip-reason"));
$("ws-flag-open").addEventListener("click", () => togglePanel("ws-flag", "ws-flag-open", "ws-flag-body"));
$("ws-skip").addEventListener("submit", (event) => {
  event.preventDefault();
  const reason = $("ws-skip-reason").value.trim();
  if (!reason) return showProblem("Say why you are skipping the task.");
  skip(reason);
});
$("ws-flag").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.target;
  const body = $("ws-flag-body").value.trim();
  if (body.length < 3) return showProblem("Write at least 3 characters for the reviewers.");
  flag(form.elements.kind.value, body);
});
for (const panel of root.querySelectorAll(".ws-panel")) {
  const close = () => {
    const opener = panel.id === "ws-skip" ? "ws-skip-open" : "ws-flag-open";
    closePanels();
    $(opener).focus();
  };
  panel.querySelector("[data-close]").addEventListener("click", close);
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });
}

function unknownWidget(widget) {
  return {
    node: el("p", { class: "alert" }, `This workspace cannot show "${widget.type}" tasks yet. Skip the task or give it back.`),
    value: () => null,
    check: () => "This task type is not supported here; skip it or give it back.",
    key: () => false,
    focus: () => $("ws-skip-open").focus(),
  };
}

// --- keyboard and selection -------------------------------------------------------------------------

bindKeys({ widget: () => current && current.widget, area: $("ws-task"), submit });

// --- start -----------------------------------------------------------------------------------------

for (const time of root.querySelectorAll("time[data-local]")) {
  const date = new Date(time.dateTime);
  if (!Number.isNaN(date.getTime())) time.textContent = localTime(date);
}

const held = root.dataset.held;
if (held) {
  run("Opening the task you hold…", async () => show(await call(`/${held}`)));
}

