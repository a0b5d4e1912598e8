// Crewline annotator widgets and the page plumbing they share: the workspace (workspace.js) and
// the assessment sitting (assessment.js) both label with these, so a candidate is tested on the
// very controls they will later work with.
//
// One widget per annotation type, built from the `widget` description the API sends. A widget is
// an object { node, value(), check(), key(event), focus() }: `check` returns a message when the
// answer is not ready, `key` handles a shortcut and returns true when it used the key.
// Widgets report through the page's #ws-status (polite) and #ws-alert (problems) regions, so a
// page that shows widgets has both.

const $ = (id) => document.getElementById(id);
const RETRY_DELAYS_MS = [600, 1800];

// --- small DOM helpers ---------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svgEl(tag, attrs = {}) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  setAttrs(node, attrs);
  return node;
}

function setAttrs(node, attrs) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
}

let idCounter = 0;
const uid = (name) => `ws-${name}-${++idCounter}`;

function kbd(key) {
  return key ? el("kbd", { "aria-hidden": "true" }, key) : null;
}

function say(text) {
  $("ws-status").textContent = text;
}

function clearAlert() {
  $("ws-alert").replaceChildren();
}

function showProblem(message) {
  const alert = $("ws-alert");
  alert.replaceChildren(el("p", { class: "ws-alert-text" }, message));
}

const clock = (seconds) => {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
};

const localTime = (date) =>
  date.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });


// --- the API -----------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : `request failed (${status})`);
    this.status = status;
    this.detail = detail;
  }
}

/** One JSON request to the API with the page's CSRF token; a 204 answers null. */
async function request(url, { method = "GET", body, csrf } = {}) {
  const options = {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRF-Token": csrf },
  };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, options);
  } catch {
    throw new ApiError(0, "The network failed: check your connection and try again.");
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) throw new ApiError(response.status, data ? data.detail : null);
  return data;
}

/** Retry network failures and server errors with the same body (the submission id makes it safe). */
async function withRetry(request) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await request();
    } catch (error) {
      const transient = error instanceof ApiError && (error.status === 0 || error.status >= 500);
      if (!transient || attempt >= RETRY_DELAYS_MS.length) throw error;
      say(`Connection trouble; retrying (${attempt + 1} of ${RETRY_DELAYS_MS.length})…`);
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAYS_MS[attempt]));
    }
  }
}

const FIELD_NAMES = { value: "Your answer", reason: "Reason", body: "Message", kind: "Kind" };

function fieldName(field) {
  if (!field) return "";
  const [head, ...rest] = String(field).split(".");
  const name = FIELD_NAMES[head] || head;
  return rest.length ? `${name} (${rest.join(".")})` : name;
}

/**
 * Show a failed request in #ws-alert. `relogin` says where a signed-out user logs in again
 * (`next`) and what they keep meanwhile (`keeps`), which differs from page to page.
 */
function showError(error, relogin = { next: location.pathname, keeps: "" }) {
  const alert = $("ws-alert");
  const parts = [];
  if (!(error instanceof ApiError)) {
    parts.push(el("p", {}, `Something went wrong: ${error.message || error}`));
  } else if (error.status === 401) {
    parts.push(
      el("p", {}, "You are no longer logged in. ",
        el("a", { href: `/login?next=${encodeURIComponent(relogin.next)}` }, "Log in again"),
        relogin.keeps),
    );
  } else if (Array.isArray(error.detail)) {
    const heading = error.status === 409 ? "This conflicts with what is stored:" : "Please fix this:";
    parts.push(el("p", {}, heading));
    parts.push(el("ul", {}, error.detail.map((d) => el("li", {}, `${fieldName(d.field)}: ${d.message}`))));
  } else {
    const prefix = { 403: "Not allowed: ", 404: "Not found: ", 409: "Conflict: " }[error.status] || "";
    parts.push(el("p", {}, prefix + (error.detail || error.message)));
  }
  alert.replaceChildren(...parts);
  say("");
}

// --- active time ---------------------------------------------------------------------------------
// A stretch of active time runs while the page is visible and focused, and ends at the idle
// cut-off: IDLE_MS after the last keyboard, mouse, touch or scroll input. A worker who leaves a
// focused tab and walks away adds at most IDLE_MS (they may have been reading the task); their
// next input starts a new stretch. The cut-off is applied when time is read, so no timer runs.

// CREWLINE_IDLE_SECONDS, which the page carries on <body>; its default if the page does not say.
const IDLE_MS = (Number(document.body.dataset.idleSeconds) || 120) * 1000;
const INPUT_EVENTS = ["keydown", "mousemove", "mousedown", "wheel", "touchstart", "scroll"];

/** Active time on the item in front of the user; `start` begins counting, `seconds` reads it. */
const timer = {
  ms: 0, // banked time of the stretches that ended
  since: null, // when the current stretch began, or null when none runs
  lastInput: performance.now(),
  running: false,
  visible() {
    return document.visibilityState === "visible" && document.hasFocus();
  },
  /** The worker is at the task: the page is in view and had input within the idle cut-off. */
  present() {
    return this.visible() && performance.now() - this.lastInput < IDLE_MS;
  },
  /** How long the current stretch has run at `now`: up to the idle cut-off at most. */
  live(now) {
    if (this.since === null) return 0;
    return Math.max(0, Math.min(now, this.lastInput + IDLE_MS) - this.since);
  },
  pause(now = performance.now()) {
    this.ms += this.live(now);
    this.since = null;
  },
  resume(now = performance.now()) {
    if (this.running && this.since === null && this.visible()) this.since = now;
  },
  /** The worker is here (input, or the page back in view): bank the stretch, start a new one. */
  active() {
    const now = performance.now(); // one reading: the new stretch starts at its last input
    this.pause(now);
    this.lastInput = now;
    this.resume(now);
  },
  start(ms) {
    watchActivity();
    this.ms = ms;
    this.since = null;
    this.running = true;
    this.active(); // a task just opened: its worker asked for it
  },
  stop() {
    this.pause();
    this.running = false;
  },
  seconds() {
    return (this.ms + this.live(performance.now())) / 1000;
  },
};

let watching = false;

/** Listen for the user's presence once, from the first time anything is timed. */
function watchActivity() {
  if (watching) return;
  watching = true;
  document.addEventListener("visibilitychange", () =>
    document.visibilityState === "visible" ? timer.active() : timer.pause(),
  );
  window.addEventListener("focus", () => timer.active());
  window.addEventListener("blur", () => timer.pause());
  for (const type of INPUT_EVENTS) {
    // capture: scroll does not bubble, and a handler that stops propagation must not hide input
    window.addEventListener(type, () => timer.active(), { capture: true, passive: true });
  }
}

// --- keyboard and selection -------------------------------------------------------------------------

const TYPING = "textarea, select, [contenteditable], input:not([type=radio]):not([type=checkbox]):not([type=button])";

/**
 * Route keys to the widget in front of the user (`widget()`, or null when none): its shortcuts,
 * then Enter (Ctrl+Enter inside a text box) to `submit`. Keys typed outside `area` or inside a
 * form panel (.ws-panel) are left to the page.
 */
function bindKeys({ widget, area, submit }) {
  document.addEventListener("selectionchange", () => {
    const shown = widget();
    if (shown && shown.selectionChanged) shown.selectionChanged();
  });
  document.addEventListener("keydown", (event) => {
    const shown = widget();
    if (!shown || event.defaultPrevented || event.isComposing) return;
    const target = event.target;
    const inTask = area.contains(target) || target === document.body || target === $("main");
    if (!inTask || target.closest(".ws-panel")) return;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      submit();
      return;
    }
    if (target.matches(TYPING)) {
      if (event.key === "Enter" && target.dataset.enterSubmits !== undefined) {
        event.preventDefault();
        submit();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey) return;
    if (shown.key(event)) {
      event.preventDefault();
      return;
    }
    if (event.key === "Enter" && !event.altKey && !event.shiftKey && !target.matches("button, a, summary")) {
      event.preventDefault();
      submit();
    }
  });
}

/** The index of the label whose key was pressed, or -1. */
function keyIndex(labels, event) {
  if (event.altKey || event.key.length !== 1) return -1;
  const pressed = event.key.toLowerCase();
  return labels.findIndex((label) => label.key && label.key.toLowerCase() === pressed);
}

// --- widget pieces --------------------------------------------------------------------------------

/** A native radio or checkbox in a button-like label; the key and hint are shown beside it. */
function choice(type, name, value, text, key, hint) {
  const hintId = hint ? uid("hint") : null;
  const input = el("input", {
    type, name, value,
    "aria-keyshortcuts": key || null,
    "aria-describedby": hintId,
  });
  const label = el("label", { class: "ws-choice", title: hint || null },
    input, kbd(key), el("span", {}, text),
    // the hint describes the choice (aria-describedby) without becoming part of its name
    hint ? el("small", { id: hintId, "aria-hidden": "true" }, hint) : null,
  );
  return { input, label };
}

/** The item shown above the answer controls: its text and/or image (labelling, free text). */
function content(data, textLabel = "Text") {
  const parts = [];
  if (typeof data.text === "string" && data.text) {
    parts.push(el("div", { class: "ws-text", role: "group", "aria-label": textLabel }, data.text));
  }
  if (typeof data.image_url === "string" && data.image_url) {
    parts.push(el("img", { class: "ws-image", src: data.image_url, alt: "Task image" }));
  }
  return parts;
}

function labelClass(index) {
  return `ws-c${index % 8}`;
}

// --- single label ---------------------------------------------------------------------------------

function singleLabel(widget, data) {
  const name = uid("label");
  const fieldset = el("fieldset", { class: "ws-choices" }, el("legend", {}, "Label"));
  const inputs = widget.labels.map((label) => {
    const made = choice("radio", name, label.value, label.value, label.key, label.hint);
    fieldset.append(made.label);
    return made.input;
  });
  const selected = () => inputs.find((input) => input.checked);
  return {
    node: el("div", { class: "ws-widget" }, content(data), fieldset,
      el("p", { class: "ws-note" }, "Press a label's key or click it, then Enter to submit.")),
    value: () => selected().value,
    check: () => (selected() ? null : "Pick a label first: press its key or click it."),
    key(event) {
      const index = keyIndex(widget.labels, event);
      if (index < 0) return false;
      inputs[index].checked = true;
      inputs[index].focus();
      return true;
    },
    focus: () => (selected() || inputs[0]).focus(),
  };
}

// --- multi label ----------------------------------------------------------------------------------

function multiLabel(widget, data) {
  const { min_selected: min, max_selected: max } = widget;
  const name = uid("labels");
  const range = min === max ? `exactly ${min}` : min > 0 ? `${min} to ${max}` : `up to ${max}`;
  const fieldset = el("fieldset", { class: "ws-choices" }, el("legend", {}, `Labels (select ${range})`));
  const count = el("p", { class: "ws-counter", "aria-live": "polite" });
  const inputs = widget.labels.map((label) => {
    const made = choice("checkbox", name, label.value, label.value, label.key, label.hint);
    fieldset.append(made.label);
    return made.input;
  });
  const chosen = () => inputs.filter((input) => input.checked);
  const update = () => {
    count.textContent = `${chosen().length} selected`;
  };
  for (const input of inputs) {
    input.addEventListener("change", () => {
      if (input.checked && chosen().length > max) {
        input.checked = false;
        showProblem(`Select at most ${max} labels: clear one first.`);
      }
      update();
    });
  }
  update();
  return {
    node: el("div", { class: "ws-widget" }, content(data), fieldset, count),
    value: () => chosen().map((input) => input.value),
    check() {
      const n = chosen().length;
      if (n < min) return `Select at least ${min} label${min === 1 ? "" : "s"} (you have ${n}).`;
      if (n > max) return `Select at most ${max} labels (you have ${n}).`;
      return null;
    },
    key(event) {
      const index = keyIndex(widget.labels, event);
      if (index < 0) return false;
      const input = inputs[index];
      if (!input.checked && chosen().length >= max) {
        showProblem(`Select at most ${max} labels: clear one first.`);
        return true;
      }
      input.checked = !input.checked;
      input.focus();
      update();
      say(`${input.value} ${input.checked ? "selected" : "cleared"}`);
      return true;
    },
    focus: () => (chosen()[0] || inputs[0]).focus(),
  };
}

// --- label buttons shared by spans and boxes -------------------------------------------------------

function labelBar(labels, onPick, name) {
  const bar = el("div", { class: "ws-labelbar", role: "group", "aria-label": name });
  const buttons = labels.map((label, index) =>
    el("button", {
      type: "button",
      class: labelClass(index),
      "aria-keyshortcuts": label.key || null,
      title: label.hint || null,
      // keep the text selection (spans) and focus where they are
      onmousedown: (event) => event.preventDefault(),
      onclick: () => onPick(index),
    }, kbd(label.key), " ", label.value),
  );
  bar.append(...buttons);
  return { bar, buttons };
}

// --- spans ---------------------------------------------------------------------------------------

const TOKEN = /[\p{L}\p{N}\p{M}_'’-]+|[^\s\p{L}\p{N}\p{M}]/gu;

function spans(widget, data) {
  const text = data.text || "";
  const points = Array.from(text); // code points: what span offsets count
  const u16 = [0]; // u16[i] = UTF-16 offset of code point i
  for (const point of points) u16.push(u16[u16.length - 1] + point.length);
  const tokens = []; // [start, end) in code points
  for (const match of text.matchAll(TOKEN)) {
    const start = cpAt(match.index);
    tokens.push([start, start + Array.from(match[0]).length]);
  }
  const marked = [];
  let lastSelection = null;
  let keyboard = null; // { anchor, focus } over tokens, in code points

  function cpAt(offset16) {
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (u16[mid] <= offset16) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  const helpId = uid("help");
  const textBox = el("div", {
    class: "ws-text ws-spantext",
    tabindex: "0",
    role: "textbox",
    "aria-readonly": "true",
    "aria-multiline": "true",
    "aria-label": "Text to mark",
    "aria-describedby": helpId,
  });
  const list = el("ul", { class: "ws-list" });
  const listTitle = el("h3", {});
  const { bar } = labelBar(widget.labels, (index) => add(index), "Span labels");

  function render() {
    const bounds = new Set([0, points.length]);
    for (const span of marked) {
      bounds.add(span.start);
      bounds.add(span.end);
    }
    const cuts = [...bounds].sort((a, b) => a - b);
    const nodes = [];
    for (let i = 0; i < cuts.length - 1; i += 1) {
      const [a, b] = [cuts[i], cuts[i + 1]];
      const piece = points.slice(a, b).join("");
      const over = marked.filter((span) => span.start <= a && span.end >= b);
      if (!over.length) {
        nodes.push(document.createTextNode(piece));
      } else {
        const index = widget.labels.findIndex((label) => label.value === over[0].label);
        nodes.push(el("mark", { class: `ws-mark ${labelClass(index)}`, title: over.map((s) => s.label).join(", ") }, piece));
      }
    }
    textBox.replaceChildren(...nodes);
    listTitle.textContent = `Marked spans (${marked.length})`;
    list.replaceChildren(
      ...marked.map((span, i) => {
        const index = widget.labels.findIndex((label) => label.value === span.label);
        const quoted = points.slice(span.start, span.end).join("");
        return el("li", {},
          el("span", { class: `ws-swatch ${labelClass(index)}` }, span.label),
          el("span", {}, `“${quoted}”`),
          el("span", { class: "ws-where" }, `characters ${span.start}–${span.end}`),
          el("button", {
            type: "button",
            "aria-label": `Remove ${span.label} “${quoted}”`,
            onclick: () => {
              marked.splice(i, 1);
              render();
              say(`Removed ${span.label} “${quoted}”.`);
              textBox.focus();
            },
          }, "Remove"),
        );
      }),
    );
    if (!marked.length) list.append(el("li", { class: "muted" }, "None yet."));
  }

  /** The selection inside the text, in code points, or null. */
  function domSelection() {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    const range = selection.getRangeAt(0);
    if (!textBox.contains(range.startContainer) || !textBox.contains(range.endContainer)) {
      return null;
    }
    const offset = (node, at) => {
      const before = document.createRange();
      before.selectNodeContents(textBox);
      before.setEnd(node, at);
      return cpAt(before.toString().length);
    };
    return { start: offset(range.startContainer, range.startOffset), end: offset(range.endContainer, range.endOffset) };
  }


  function domPoint(cp) {
    const walker = document.createTreeWalker(textBox, NodeFilter.SHOW_TEXT);
    let seen = 0;
    const target = u16[cp];
    let node = walker.nextNode();
    while (node) {
      if (seen + node.length >= target) return [node, target - seen];
      seen += node.length;
      node = walker.nextNode();
    }
    return [textBox, textBox.childNodes.length];
  }

  function select(anchor, focus) {
    keyboard = { anchor, focus };
    const [startNode, startOffset] = domPoint(anchor);
    const [endNode, endOffset] = domPoint(focus);
    window.getSelection().setBaseAndExtent(startNode, startOffset, endNode, endOffset);
    const [a, b] = anchor <= focus ? [anchor, focus] : [focus, anchor];
    say(`Selected “${points.slice(a, b).join("")}” (characters ${a}–${b}).`);
  }

  function moveSelection(event) {
    if (!tokens.length) return false;
    const sel = domSelection() || (keyboard && { start: keyboard.anchor, end: keyboard.focus });
    const start = sel ? Math.min(sel.start, sel.end) : -1;
    const end = sel ? Math.max(sel.start, sel.end) : -1;
    if (event.key === "ArrowRight" && !event.shiftKey) {
      const next = tokens.find(([a]) => a >= (sel ? end : 0)) || tokens[tokens.length - 1];
      select(next[0], next[1]);
    } else if (event.key === "ArrowLeft" && !event.shiftKey) {
      const previous = [...tokens].reverse().find(([, b]) => b <= (sel ? start : 0)) || tokens[0];
      select(previous[0], previous[1]);
    } else if (event.key === "ArrowRight") {
      if (!sel) return moveSelection({ key: "ArrowRight", shiftKey: false });
      const next = tokens.find(([, b]) => b > end);
      if (next) select(start, next[1]);
    } else if (event.key === "ArrowLeft") {
      if (!sel) return moveSelection({ key: "ArrowLeft", shiftKey: false });
      const inside = tokens.filter(([a, b]) => a >= start && b <= end);
      if (inside.length > 1) {
        select(start, inside[inside.length - 2][1]);
      } else {
        const previous = [...tokens].reverse().find(([a]) => a < start);
        if (previous) select(previous[0], end);
      }
    } else if (event.key === "Home") {
      select(tokens[0][0], tokens[0][1]);
    } else if (event.key === "End") {
      const last = tokens[tokens.length - 1];
      select(last[0], last[1]);
    } else {
      return false;
    }
    return true;
  }

  function add(index) {
    const label = widget.labels[index].value;
    const sel = domSelection() || lastSelection;
    if (!sel) {
      showProblem("Select some text first (drag over it, or focus the text and use the arrow keys).");
      textBox.focus();
      return;
    }
    let start = Math.min(sel.start, sel.end);
    let end = Math.max(sel.start, sel.end);
    while (start < end && /\s/u.test(points[start])) start += 1;
    while (end > start && /\s/u.test(points[end - 1])) end -= 1;
    if (start === end) {
      showProblem("The selection holds only spaces; select a word.");
      return;
    }
    if (marked.some((s) => s.start === start && s.end === end && s.label === label)) {
      showProblem("That span is already marked with this label.");
      return;
    }
    const clash = marked.find((s) => s.start < end && start < s.end);
    if (clash && !widget.allow_overlap) {
      showProblem(`Spans may not overlap here: it overlaps “${points.slice(clash.start, clash.end).join("")}” (${clash.label}). Remove that one first.`);
      return;
    }
    clearAlert();
    marked.push({ start, end, label });
    marked.sort((a, b) => a.start - b.start || a.end - b.end || a.label.localeCompare(b.label));
    lastSelection = null;
    keyboard = null;
    window.getSelection().removeAllRanges();
    render();
    say(`Marked “${points.slice(start, end).join("")}” as ${label}.`);
  }

  render();
  return {
    node: el("div", { class: "ws-widget" },
      el("p", { class: "ws-note", id: helpId },
        "Select text with the mouse — or focus the text and use ← → to pick a word, Shift+→ to extend — then press a label's key or click the label."),
      textBox, bar, listTitle, list),
    value: () => marked.map((s) => ({ start: s.start, end: s.end, label: s.label, text: points.slice(s.start, s.end).join("") })),
    check: () => null,
    selectionChanged() {
      const now = domSelection();
      if (now) lastSelection = now;
    },
    key(event) {
      if (event.target === textBox && moveSelection(event)) return true;
      const index = keyIndex(widget.labels, event);
      if (index < 0) return false;
      add(index);
      return true;
    },
    focus: () => textBox.focus(),
  };
}

// --- boxes -----------------------------------------------------------------------------------------

function boxes(widget, data) {
  const width = Number(data.width);
  const height = Number(data.height);
  const minSize = Number(widget.min_size || 1);
  const drawn = [];
  let pending = null; // a drawn box waiting for its label
  let armed = -1; // label given to every new box, once chosen without a pending box
  let drag = null;

  const helpId = uid("help");
  const svg = svgEl("svg", {
    class: "ws-canvas",
    viewBox: `0 0 ${width} ${height}`,
    preserveAspectRatio: "xMidYMid meet",
    role: "img",
    "aria-label": `Task image, ${width} by ${height} pixels, with ${0} boxes`,
  });
  svg.append(svgEl("image", { href: data.image_url, x: 0, y: 0, width, height, preserveAspectRatio: "none" }));
  const layer = svgEl("g");
  const draft = svgEl("rect", { class: "ws-draft", visibility: "hidden" });
  svg.append(layer, draft);
  const stage = el("div", {
    class: "ws-stage",
    tabindex: "0",
    role: "group",
    "aria-label": "Drawing area",
    "aria-describedby": helpId,
  }, svg);
  const list = el("ul", { class: "ws-list" });
  const listTitle = el("h3");
  const { bar, buttons } = labelBar(widget.labels, (index) => pick(index), "Box labels");
  const fontSize = Math.max(width, height) / 40;

  const round = (n) => Math.round(n * 10) / 10;
  const clampX = (x) => Math.min(width, Math.max(0, x));
  const clampY = (y) => Math.min(height, Math.max(0, y));

  function toImage(event) {
    const matrix = svg.getScreenCTM();
    const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix.inverse());
    return { x: clampX(point.x), y: clampY(point.y) };
  }

  function rectFrom(a, b) {
    const x = round(Math.min(a.x, b.x));
    const y = round(Math.min(a.y, b.y));
    return { x, y, w: Math.min(round(Math.abs(a.x - b.x)), width - x), h: Math.min(round(Math.abs(a.y - b.y)), height - y) };
  }

  function render() {
    layer.replaceChildren();
    drawn.forEach((box, i) => {
      const index = widget.labels.findIndex((label) => label.value === box.label);
      const rect = svgEl("rect", { class: `ws-b${index % 8}`, x: box.x, y: box.y, width: box.w, height: box.h });
      const tag = svgEl("text", { x: box.x + fontSize * 0.3, y: box.y + fontSize * 1.1, "font-size": fontSize });
      tag.textContent = `${i + 1} ${box.label}`;
      layer.append(rect, tag);
    });
    if (pending) {
      layer.append(svgEl("rect", { class: "ws-pending", x: pending.x, y: pending.y, width: pending.w, height: pending.h }));
    }
    svg.setAttribute("aria-label", `Task image, ${width} by ${height} pixels, with ${drawn.length} box${drawn.length === 1 ? "" : "es"}`);
    buttons.forEach((button, i) => button.setAttribute("aria-pressed", String(i === armed)));
    listTitle.textContent = `Boxes (${drawn.length})`;
    const rows = drawn.map((box, i) =>
      el("li", {},
        el("span", { class: `ws-swatch ${labelClass(widget.labels.findIndex((l) => l.value === box.label))}` }, `${i + 1} ${box.label}`),
        el("span", { class: "ws-where" }, `x ${box.x}, y ${box.y}, ${box.w} × ${box.h} px`),
        el("button", {
          type: "button",
          "aria-label": `Remove box ${i + 1} (${box.label})`,
          onclick: () => {
            drawn.splice(i, 1);
            render();
            say(`Removed box ${i + 1}.`);
            stage.focus();
          },
        }, "Remove"),
      ),
    );
    if (pending) rows.push(el("li", { class: "ws-pending-row" }, el("strong", {}, "New box: "), "press a label's key or click a label (Esc drops it)."));
    if (!rows.length) rows.push(el("li", { class: "muted" }, "None yet."));
    list.replaceChildren(...rows);
  }

  function place(box) {
    if (box.w < minSize || box.h < minSize) {
      showProblem(`Boxes must be at least ${minSize} px wide and high; that one was ${box.w} × ${box.h}.`);
      return;
    }
    clearAlert();
    if (armed >= 0) {
      drawn.push({ ...box, label: widget.labels[armed].value });
      say(`Added box ${drawn.length}: ${widget.labels[armed].value}.`);
    } else {
      pending = box;
      say("Box drawn: press a label's key or click a label.");
    }
    render();
  }

  function pick(index) {
    if (pending) {
      drawn.push({ ...pending, label: widget.labels[index].value });
      pending = null;
      say(`Added box ${drawn.length}: ${widget.labels[index].value}.`);
    } else {
      armed = armed === index ? -1 : index;
      say(armed >= 0 ? `New boxes get the label ${widget.labels[armed].value}.` : "New boxes wait for a label.");
    }
    render();
  }

  svg.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    svg.setPointerCapture(event.pointerId);
    drag = { from: toImage(event) };
    stage.focus({ preventScroll: true });
  });
  svg.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const box = rectFrom(drag.from, toImage(event));
    setAttrs(draft, { x: box.x, y: box.y, width: box.w, height: box.h, visibility: "visible" });
  });
  const end = (event) => {
    if (!drag) return;
    const box = rectFrom(drag.from, toImage(event));
    drag = null;
    draft.setAttribute("visibility", "hidden");
    if (box.w === 0 && box.h === 0) return;
    place(box);
  };
  svg.addEventListener("pointerup", end);
  svg.addEventListener("pointercancel", () => {
    drag = null;
    draft.setAttribute("visibility", "hidden");
  });

  // Drawing needs a pointer; typing coordinates is the accessible fallback.
  const fields = {};
  const coordinate = (name, text, limit) => {
    const input = el("input", { type: "number", min: 0, max: limit, step: "any", required: true, inputmode: "decimal" });
    fields[name] = input;
    return el("label", {}, text, input);
  };
  const selectId = uid("box-label");
  const labelSelect = el("select", { id: selectId }, widget.labels.map((label) => el("option", { value: label.value }, label.value)));
  const coords = el("details", {},
    el("summary", {}, "Add a box by typing its coordinates"),
    el("div", { class: "ws-coords" },
      coordinate("x", "Left (x, px)", width),
      coordinate("y", "Top (y, px)", height),
      coordinate("w", "Width (px)", width),
      coordinate("h", "Height (px)", height),
      el("span", { class: "ws-field" }, el("label", { for: selectId }, "Label"), labelSelect),
      el("button", {
        type: "button",
        onclick: () => {
          const [x, y, w, h] = ["x", "y", "w", "h"].map((k) => Number(fields[k].value));
          if ([x, y, w, h].some((n) => !Number.isFinite(n)) || ["x", "y", "w", "h"].some((k) => fields[k].value === "")) {
            showProblem("Fill in x, y, width and height in pixels.");
            return;
          }
          if (x < 0 || y < 0 || x + w > width || y + h > height) {
            showProblem(`The box must lie inside the image (${width} × ${height} px).`);
            return;
          }
          const index = widget.labels.findIndex((label) => label.value === labelSelect.value);
          const before = drawn.length;
          const keep = armed;
          armed = index;
          place({ x: round(x), y: round(y), w: round(w), h: round(h) });
          armed = keep;
          render();
          if (drawn.length > before) for (const input of Object.values(fields)) input.value = "";
        },
      }, "Add box"),
    ),
  );

  render();
  return {
    node: el("div", { class: "ws-widget" },
      el("p", { class: "ws-note", id: helpId },
        "Drag on the image to draw a box, then press a label's key or click the label. Pick a label first to give it to every new box. Esc drops an unlabelled box."),
      bar, stage, listTitle, list, coords),
    value: () => drawn.map(({ x, y, w, h, label }) => ({ x, y, w, h, label })),
    check: () => (pending ? "Give the new box a label (press its key) or press Esc to drop it." : null),
    key(event) {
      if (event.key === "Escape" && pending) {
        pending = null;
        render();
        say("Dropped the unlabelled box.");
        return true;
      }
      const index = keyIndex(widget.labels, event);
      if (index < 0) return false;
      pick(index);
      return true;
    },
    focus: () => stage.focus(),
  };
}

// --- pairwise ------------------------------------------------------------------------------------

const PAIR_TEXT = { a: "A is better", b: "B is better", tie: "Tie" };
const PAIR_KEYS = { a: "a", b: "b", tie: "t" };

function pairwise(widget, data) {
  const name = uid("choice");
  const overall = el("fieldset", { class: "ws-choices" }, el("legend", {}, "Which response is better?"));
  const inputs = {};
  for (const option of widget.choices) {
    const made = choice("radio", name, option, PAIR_TEXT[option] || option, PAIR_KEYS[option]);
    overall.append(made.label);
    inputs[option] = made.input;
  }
  const reasonId = uid("reason");
  const reason = el("textarea", { id: reasonId, rows: 3, "aria-keyshortcuts": "Control+Enter" });
  const counter = el("p", { class: "ws-counter" });
  const limit = widget.reason_max_length;
  const length = () => Array.from(reason.value.trim()).length;
  const count = () => {
    counter.textContent = `${length()} / ${limit} characters`;
    counter.classList.toggle("ws-warn", length() > limit);
  };
  reason.addEventListener("input", count);
  count();
  const dimensions = widget.dimensions.map((dimension) => {
    const group = uid("dim");
    const fieldset = el("fieldset", { class: "ws-choices" }, el("legend", {}, dimension));
    const radios = widget.choices.map((option) => {
      const made = choice("radio", group, option, PAIR_TEXT[option] || option, null);
      fieldset.append(made.label);
      return made.input;
    });
    return { dimension, fieldset, radios };
  });
  const picked = () => widget.choices.find((option) => inputs[option].checked);
  const dimensionPicks = () => {
    const out = {};
    for (const { dimension, radios } of dimensions) {
      const on = radios.find((radio) => radio.checked);
      if (on) out[dimension] = on.value;
    }
    return out;
  };
  const column = (title, text) => el("section", {}, el("h3", {}, title), el("p", { class: "ws-response" }, text));
  return {
    node: el("div", { class: "ws-widget" },
      el("h3", {}, "Prompt"),
      el("div", { class: "ws-text" }, data.prompt),
      el("div", { class: "ws-pair" }, column("Response A", data.response_a), column("Response B", data.response_b)),
      overall,
      el("label", { for: reasonId }, widget.reason_required ? "Why? (required)" : "Why? (optional)",
        el("span", { class: "muted" }, " — Ctrl+Enter submits")),
      reason, counter,
      dimensions.length
        ? el("div", { class: "ws-dims" },
          el("h3", {}, "Per dimension (answer all or none)"),
          dimensions.map((d) => d.fieldset))
        : null),
    value() {
      const value = { choice: picked(), reason: reason.value.trim() };
      const picks = dimensionPicks();
      if (Object.keys(picks).length) value.dimensions = picks;
      return value;
    },
    check() {
      if (!picked()) return `Pick the better response: press ${widget.choices.map((c) => PAIR_KEYS[c]).join(", ")} or click one.`;
      if (widget.reason_required && !reason.value.trim()) return "Say why you prefer this response.";
      if (length() > limit) return `Keep the reason under ${limit} characters.`;
      const answered = Object.keys(dimensionPicks()).length;
      if (answered && answered < dimensions.length) return "Answer every dimension, or none of them.";
      return null;
    },
    key(event) {
      if (event.altKey || event.key.length !== 1) return false;
      const option = widget.choices.find((c) => PAIR_KEYS[c] === event.key.toLowerCase());
      if (!option) return false;
      inputs[option].checked = true;
      inputs[option].focus();
      return true;
    },
    focus: () => (inputs[picked()] || inputs[widget.choices[0]]).focus(),
  };
}

// --- ranking ------------------------------------------------------------------------------------

function ranking(widget, data) {
  const order = data.responses.map((response) => response.id);
  const texts = Object.fromEntries(data.responses.map((response) => [response.id, response.text]));
  let selected = 0;
  const helpId = uid("help");
  const list = el("ol", { class: "ws-rank", "aria-describedby": helpId });

  function render(focus) {
    list.replaceChildren(
      ...order.map((id, i) => {
        const item = el("li", {
          tabindex: i === selected ? "0" : "-1",
          class: i === selected ? "is-selected" : null,
          "aria-label": `Response ${id}, ranked ${i + 1} of ${order.length}`,
          "data-id": id,
          onclick: (event) => {
            if (event.target.closest("button")) return;
            selected = i;
            render(true);
          },
        },
        el("span", { class: "ws-pos", "aria-hidden": "true" }, i + 1),
        el("div", {}, el("strong", {}, `Response ${id}`), el("p", { class: "ws-response" }, texts[id])),
        el("div", { class: "ws-moves" },
          el("button", { type: "button", "aria-label": `Move response ${id} up`, disabled: i === 0, onclick: () => move(i, -1) }, "↑ Up"),
          el("button", { type: "button", "aria-label": `Move response ${id} down`, disabled: i === order.length - 1, onclick: () => move(i, 1) }, "↓ Down"),
        ));
        return item;
      }),
    );
    if (focus) list.children[selected].focus();
  }

  function move(index, step) {
    const to = index + step;
    if (to < 0 || to >= order.length) return;
    [order[index], order[to]] = [order[to], order[index]];
    selected = to;
    render(true);
    say(`Response ${order[to]} is now ${to + 1} of ${order.length}.`);
  }

  render(false);
  return {
    node: el("div", { class: "ws-widget" },
      el("h3", {}, "Prompt"),
      el("div", { class: "ws-text" }, data.prompt),
      el("p", { class: "ws-note", id: helpId },
        "Order the responses best first. Select one (click it, or press its position number), then move it with ↑ and ↓ or the buttons."),
      list),
    value: () => [...order],
    check: () => null,
    key(event) {
      if (event.key === "ArrowUp" || event.key === "ArrowDown") {
        move(selected, event.key === "ArrowUp" ? -1 : 1);
        return true;
      }
      if (/^[1-9]$/.test(event.key) && Number(event.key) <= order.length) {
        selected = Number(event.key) - 1;
        render(true);
        say(`Selected response ${order[selected]} (position ${selected + 1}).`);
        return true;
      }
      return false;
    },
    focus: () => list.children[selected].focus(),
  };
}

// --- free text -----------------------------------------------------------------------------------

function freeText(widget, data) {
  const { min_length: min, max_length: max, multiline } = widget;
  const id = uid("answer");
  const field = multiline
    ? el("textarea", { id, rows: 6, "aria-keyshortcuts": "Control+Enter" })
    : el("input", { id, type: "text", "data-enter-submits": true, autocomplete: "off", "aria-keyshortcuts": "Enter" });
  const counter = el("p", { class: "ws-counter" });
  const clean = () => field.value.replace(/\r\n?/g, "\n").trim();
  const length = () => Array.from(clean()).length;
  const count = () => {
    const n = length();
    counter.textContent = `${n} / ${max} characters${min ? ` (at least ${min})` : ""}`;
    counter.classList.toggle("ws-warn", n > max);
  };
  field.addEventListener("input", count);
  count();
  const media = [];
  if (typeof data.audio_url === "string" && data.audio_url) {
    media.push(el("audio", { class: "ws-audio", controls: true, preload: "metadata", src: data.audio_url, "aria-label": "Task audio" }));
  }
  media.push(...content(data, "Source text"));
  return {
    node: el("div", { class: "ws-widget" }, media,
      el("label", { for: id }, "Your answer", el("span", { class: "muted" }, multiline ? " — Ctrl+Enter submits" : " — Enter submits")),
      field, counter),
    value: clean,
    check() {
      const n = length();
      if (n < min) return `Write at least ${min} characters (you have ${n}).`;
      if (n > max) return `Keep it to ${max} characters (you have ${n}).`;
      if (!multiline && clean().includes("\n")) return "Write a single line.";
      return null;
    },
    key: () => false,
    focus: () => field.focus(),
  };
}

// --- likert --------------------------------------------------------------------------------------

function likert(widget) {
  const name = uid("scale");
  const values = widget.points.map((point) => point.value);
  const keyFor = (value) => {
    if (value >= 0 && value <= 9) return String(value);
    if (value === 10 && !values.includes(0)) return "0";
    return null;
  };
  const fieldset = el("fieldset", { class: "ws-choices ws-scale" },
    el("legend", {}, widget.question || "Your rating"));
  const inputs = widget.points.map((point) => {
    const key = keyFor(point.value);
    // the number is its own key; show a key only where it differs (0 for 10)
    const made = choice("radio", name, point.value, String(point.value), key === String(point.value) ? null : key);
    if (key) made.input.setAttribute("aria-keyshortcuts", key);
    if (point.caption) made.label.append(" ", el("small", {}, point.caption));
    fieldset.append(made.label);
    return made.input;
  });
  const selected = () => inputs.find((input) => input.checked);
  return {
    node: el("div", { class: "ws-widget" }, fieldset,
      el("p", { class: "ws-note" }, "Press a number or click a point, then Enter to submit.")),
    value: () => Number(selected().value),
    check: () => (selected() ? null : `Pick a point from ${widget.min} to ${widget.max}.`),
    key(event) {
      if (event.altKey || event.key.length !== 1) return false;
      const index = values.findIndex((value) => keyFor(value) === event.key);
      if (index < 0) return false;
      inputs[index].checked = true;
      inputs[index].focus();
      return true;
    },
    focus: () => (selected() || inputs[0]).focus(),
  };
}

const WIDGETS = {
  single_label: singleLabel,
  multi_label: multiLabel,
  spans,
  boxes,
  pairwise,
  ranking,
  free_text: freeText,
  likert,
};

// --- guidelines: a small, safe Markdown renderer ---------------------------------------------------
// Everything is HTML-escaped first; only the tags made here reach the page. Headings start at h3
// (the page has h1 and h2), links only to http(s), mailto and same-site paths.

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
const SAFE_URL = /^(https?:\/\/|mailto:|\/(?!\/)|#)/i;

function inline(text) {
  const held = [];
  const hold = (html) => `\u0000${held.push(html) - 1}\u0000`;
  let out = text.replace(/\u0000/g, "");
  out = out.replace(/`([^`]+)`/g, (_, code) => hold(`<code>${escapeHtml(code)}</code>`));
  out = out.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (whole, label, href) =>
    SAFE_URL.test(href)
      ? hold(`<a href="${escapeHtml(href)}" target="_blank" rel="noopener noreferrer">${emphasis(escapeHtml(label))}</a>`)
      : hold(emphasis(escapeHtml(label))),
  );
  out = emphasis(escapeHtml(out));
  // a held link may hold held code: restore until none is left (nesting is at most two deep)
  for (let depth = 0; depth < 3 && out.includes("\u0000"); depth += 1) {
    out = out.replace(/\u0000(\d+)\u0000/g, (_, n) => held[Number(n)]);
  }
  return out;
}

function emphasis(html) {
  return html
    .replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|[^\w])__(?=\S)([\s\S]*?\S)__(?!\w)/g, "$1<strong>$2</strong>")
    .replace(/\*(?=\S)([^*]*?\S)\*/g, "<em>$1</em>")
    .replace(/(^|[^\w])_(?=\S)([^_]*?\S)_(?!\w)/g, "$1<em>$2</em>");
}

function renderMarkdown(source) {
  const lines = String(source).replace(/\r\n?/g, "\n").split("\n");
  const out = [];
  let paragraph = [];
  const flush = () => {
    if (paragraph.length) out.push(`<p>${inline(paragraph.join(" "))}</p>`);
    paragraph = [];
  };
  const LIST = /^\s*([-*+]|\d{1,9}[.)])\s+(.*)$/;
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    let match;
    if (/^\s*(```|~~~)/.test(line)) {
      flush();
      const fence = line.trim().slice(0, 3);
      const code = [];
      i += 1;
      while (i < lines.length && !lines[i].trim().startsWith(fence)) code.push(lines[i++]);
      i += 1;
      out.push(`<pre><code>${escapeHtml(code.join("\n"))}</code></pre>`);
    } else if ((match = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line))) {
      flush();
      const level = Math.min(6, match[1].length + 2);
      out.push(`<h${level}>${inline(match[2])}</h${level}>`);
      i += 1;
    } else if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      flush();
      out.push("<hr>");
      i += 1;
    } else if (/^\s{0,3}>/.test(line)) {
      flush();
      const quoted = [];
      while (i < lines.length && /^\s{0,3}>/.test(lines[i])) quoted.push(lines[i++].replace(/^\s{0,3}>\s?/, ""));
      out.push(`<blockquote>${renderMarkdown(quoted.join("\n"))}</blockquote>`);
    } else if ((match = LIST.exec(line))) {
      flush();
      const ordered = /\d/.test(match[1]);
      const items = [];
      while (i < lines.length) {
        const itemMatch = LIST.exec(lines[i]);
        if (itemMatch && /\d/.test(itemMatch[1]) === ordered) {
          items.push([itemMatch[2]]);
          i += 1;
        } else if (items.length && /^\s+\S/.test(lines[i])) {
          items[items.length - 1].push(lines[i].trim()); // a wrapped line of the item above
          i += 1;
        } else {
          break;
        }
      }
      const start = ordered ? parseInt(match[1], 10) : 1;
      const tag = ordered ? "ol" : "ul";
      const attrs = ordered && start !== 1 ? ` start="${start}"` : "";
      out.push(`<${tag}${attrs}>${items.map((item) => `<li>${inline(item.join(" "))}</li>`).join("")}</${tag}>`);
    } else if (!line.trim()) {
      flush();
      i += 1;
    } else {
      paragraph.push(line.trim());
      i += 1;
    }
  }
  flush();
  return out.join("\n");
}

export {
  $, el, say, clearAlert, showProblem, clock, localTime,
  ApiError, request, withRetry, showError, timer, bindKeys, WIDGETS, renderMarkdown,
};
