// reelserve studio: plain JS over the public API (no build step).
// Live progress comes from GET /v1/tasks/{id}/events read with fetch() streaming, so the API
// key travels in the Authorization header (EventSource cannot send headers).
"use strict";

const KEY_STORAGE = "reelserve.apiKey";
const MODE_NAMES = {
  t2v: "Text to video",
  i2v: "Image to video (first frame)",
  fl2v: "First + last frame to video",
};
const $ = (selector) => document.querySelector(selector);
const state = { catalog: null, first: null, last: null, taskId: null, abort: null, cursor: null };

class ApiError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const apiKey = () => localStorage.getItem(KEY_STORAGE) || "";
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function api(path, options = {}) {
  const headers = { Authorization: `Bearer ${apiKey()}` };
  const init = { method: options.method || "GET", headers };
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.json);
  }
  const response = await fetch(path, init);
  const body = await response.json().catch(() => null);
  if (!body) throw new ApiError(1000, `the server answered HTTP ${response.status}`);
  const resp = body.base_resp || { status_code: 0 };
  if (resp.status_code !== 0) throw new ApiError(resp.status_code, resp.status_msg);
  return body;
}

// --- the form: catalog-driven choices ------------------------------------------------------

function currentMode() {
  if (state.first) return state.last ? "fl2v" : "i2v";
  return "t2v";
}

function spec(name) {
  return state.catalog.models.find((model) => model.name === name);
}

function fillSelect(select, values, preferred, label = (v) => v) {
  const keep = values.map(String).includes(String(select.value)) ? select.value : null;
  select.replaceChildren(
    ...values.map((value) => new Option(label(value), value))
  );
  const fallback = values.map(String).includes(String(preferred)) ? preferred : values[0];
  select.value = keep !== null ? keep : fallback;
}

function refreshChoices() {
  const mode = currentMode();
  const models = $("#model");
  for (const option of models.options) {
    const supported = Boolean(spec(option.value).modes[mode]);
    option.disabled = !supported;
    option.textContent = option.value + (supported ? "" : "  (no " + mode.toUpperCase() + ")");
  }
  if (models.selectedOptions[0]?.disabled) {
    const usable = [...models.options].find((option) => !option.disabled);
    if (usable) models.value = usable.value;
  }
  const model = spec(models.value);
  const matrix = model.modes[mode] || {};
  fillSelect($("#resolution"), Object.keys(matrix), model.default_resolution);
  const durations = matrix[$("#resolution").value] || [];
  fillSelect($("#duration"), durations, model.default_duration, (d) => `${d} s`);
  $("#camera-chips").classList.toggle("disabled", !model.camera_directives);
  $("#camera-chips").title = model.camera_directives ? "" : `${model.name} ignores camera moves`;
  $("#mode-label").textContent = MODE_NAMES[mode];
  const price = model.prices_usd[`${$("#resolution").value} ${$("#duration").value}s`];
  $("#price").textContent = price ? `· $${price} per video` : "";
}

async function loadCatalog() {
  const response = await fetch("/v1/models");
  state.catalog = await response.json();
  const models = state.catalog.models.filter((model) => !model.legacy);
  $("#model").replaceChildren(...models.map((model) => new Option(model.name, model.name)));
  $("#model").value = models.some((m) => m.name === "MiniMax-Hailuo-02")
    ? "MiniMax-Hailuo-02"
    : models[0].name;
  $("#camera-chips").replaceChildren(
    ...state.catalog.camera_moves.map((move) => {
      const chip = document.createElement("button");
      chip.type = "button";
      chip.className = "chip";
      chip.textContent = move;
      chip.addEventListener("click", () => insertAtCursor($("#prompt"), `[${move}]`));
      return chip;
    })
  );
  refreshChoices();
}

function insertAtCursor(textarea, text) {
  const start = textarea.selectionStart ?? textarea.value.length;
  const end = textarea.selectionEnd ?? start;
  const before = textarea.value.slice(0, start);
  const spacer = before && !before.endsWith(" ") ? " " : "";
  textarea.value = before + spacer + text + textarea.value.slice(end);
  const caret = start + spacer.length + text.length;
  textarea.focus();
  textarea.setSelectionRange(caret, caret);
}

function readFrame(which, file) {
  const preview = $(`#${which}-preview`);
  const clear = document.querySelector(`[data-clear="${which}"]`);
  if (!file) {
    state[which] = null;
    preview.hidden = true;
    clear.hidden = true;
    $(`#${which}-frame`).value = "";
    refreshChoices();
    return;
  }
  const reader = new FileReader();
  reader.onload = () => {
    state[which] = reader.result; // a data URL: the API takes it as is
    preview.src = reader.result;
    preview.hidden = false;
    clear.hidden = false;
    refreshChoices();
  };
  reader.readAsDataURL(file);
}

// --- errors beside their fields -------------------------------------------------------------

function clearErrors() {
  document.querySelectorAll("[data-error-for], #form-error, #task-error").forEach((el) => {
    el.textContent = "";
  });
  document.querySelectorAll(".field.invalid").forEach((el) => el.classList.remove("invalid"));
}

function showError(error) {
  if (error.code === 1004 || error.code === 2049) {
    $("#key-state").textContent = error.message;
  }
  if (error.code !== 2013) {
    $("#form-error").textContent = `${error.message} (code ${error.code})`;
    return;
  }
  // 2013 messages read "invalid params, <field>: <problem>; <field>: <problem>"
  const detail = error.message.replace(/^invalid params,\s*/, "");
  for (const problem of detail.split("; ")) {
    const match = /^([A-Za-z_][\w]*)(?:[.[][^:]*)?:/.exec(problem);
    const slot = match && document.querySelector(`[data-error-for="${match[1]}"]`);
    const target = slot || $("#form-error");
    target.textContent = target.textContent ? `${target.textContent}; ${problem}` : problem;
    if (slot) slot.closest(".field").classList.add("invalid");
  }
}

// --- submit and watch -----------------------------------------------------------------------

async function submit(event) {
  event.preventDefault();
  clearErrors();
  if (!apiKey()) {
    $("#key-state").textContent = "enter your API key first";
    $("#api-key").focus();
    return;
  }
  const body = {
    model: $("#model").value,
    prompt: $("#prompt").value,
    duration: Number($("#duration").value),
    resolution: $("#resolution").value,
  };
  if (state.first) body.first_frame_image = state.first;
  if (state.last) body.last_frame_image = state.last;
  $("#submit").disabled = true;
  try {
    const created = await api("/v1/video_generation", { method: "POST", json: body });
    watch(created.task_id);
    loadHistory();
  } catch (error) {
    showError(error);
  } finally {
    $("#submit").disabled = false;
  }
}

function parseEvent(chunk) {
  const event = { event: "message", data: "" };
  for (const line of chunk.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const at = line.indexOf(":");
    const name = at < 0 ? line : line.slice(0, at);
    const value = at < 0 ? "" : line.slice(at + 1).replace(/^ /, "");
    if (name === "data") event.data += value;
    else if (name === "id" || name === "event") event[name] = value;
  }
  return event;
}

async function watch(taskId) {
  if (state.abort) state.abort.abort();
  const control = new AbortController();
  state.abort = control;
  state.taskId = taskId;
  $("#idle").hidden = true;
  $("#live").hidden = false;
  $("#player").hidden = true;
  $("#video").removeAttribute("src");
  $("#task-error").textContent = "";
  $("#task-id").textContent = taskId;
  $("#cancel").hidden = false;
  render({ status: "queued", progress: 0, phase: "queued" });
  let lastId = null;
  for (let attempt = 0; attempt < 60 && !control.signal.aborted; attempt += 1) {
    try {
      const headers = { Authorization: `Bearer ${apiKey()}`, Accept: "text/event-stream" };
      if (lastId) headers["Last-Event-ID"] = lastId; // resume: only newer states come back
      const response = await fetch(`/v1/tasks/${taskId}/events`, {
        headers,
        signal: control.signal,
      });
      if (!(response.headers.get("content-type") || "").startsWith("text/event-stream")) {
        const body = await response.json();
        throw new ApiError(body.base_resp.status_code, body.base_resp.status_msg);
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n/g, "\n");
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const event = parseEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (event.id) lastId = event.id;
          if (!event.data) continue;
          const view = JSON.parse(event.data);
          render(view);
          if (event.event === "done") {
            await finished(view);
            return;
          }
        }
      }
    } catch (error) {
      if (control.signal.aborted) return;
      if (error instanceof ApiError) {
        $("#task-error").textContent = `${error.message} (code ${error.code})`;
        return;
      }
    }
    await sleep(1000); // the connection dropped: reconnect with Last-Event-ID
  }
}

function render(view) {
  const badge = $("#status");
  badge.textContent = view.status;
  badge.className = `badge ${view.status}`;
  $("#phase").textContent = view.phase && view.phase !== view.status ? `phase: ${view.phase}` : "";
  const position = view.queue_position;
  $("#queue").textContent =
    view.status === "queued" && position !== null && position !== undefined
      ? position === 0
        ? "next in queue"
        : `${position} ahead in queue`
      : "";
  $("#eta").textContent =
    view.eta_s !== null && view.eta_s !== undefined ? `≈ ${Math.ceil(view.eta_s)} s left` : "";
  const percent = Math.max(0, Math.min(100, view.progress || 0));
  $("#bar-fill").style.width = `${percent}%`;
  $("#percent").textContent = `${percent}%`;
}

async function finished(view) {
  $("#cancel").hidden = true;
  if (view.status !== "succeeded") {
    const error = view.error || { message: "the task ended without a video", code: 1000 };
    $("#task-error").textContent = `${error.message} (code ${error.code})`;
    loadHistory();
    return;
  }
  try {
    const retrieved = await api(`/v1/files/retrieve?file_id=${view.file_id}`);
    const file = retrieved.file;
    $("#video").src = file.download_url;
    $("#download").href = file.download_url;
    $("#download").setAttribute("download", `reelserve-${view.task_id}.mp4`);
    const megabytes = file.bytes ? ` · ${(file.bytes / 1e6).toFixed(1)} MB` : "";
    const sound = file.has_audio ? " · with sound" : "";
    $("#video-meta").textContent = `${view.width}×${view.height} · ${view.duration} s${megabytes}${sound}`;
    $("#player").hidden = false;
  } catch (error) {
    $("#task-error").textContent = `${error.message} (code ${error.code})`;
  }
  loadHistory();
}

async function cancelCurrent() {
  if (!state.taskId) return;
  try {
    render(await api(`/v1/tasks/${state.taskId}/cancel`, { method: "POST" }));
  } catch (error) {
    $("#task-error").textContent = `${error.message} (code ${error.code})`;
  }
}

// --- history --------------------------------------------------------------------------------

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function historyRow(task) {
  const row = document.createElement("tr");
  row.dataset.taskId = task.task_id;
  if (task.task_id === state.taskId) row.className = "current";
  const created = new Date(task.created_at).toLocaleString();
  const prompt = cell(task.prompt || "(no prompt)", "prompt");
  prompt.title = task.prompt;
  const status = document.createElement("td");
  const badge = document.createElement("span");
  badge.className = `badge ${task.status}`;
  badge.textContent = task.status === "processing" ? `${task.progress}%` : task.status;
  status.append(badge);
  const open = document.createElement("button");
  open.type = "button";
  open.className = "ghost small";
  open.textContent = task.status === "succeeded" ? "Play" : "Open";
  open.addEventListener("click", () => watch(task.task_id));
  const actions = document.createElement("td");
  actions.append(open);
  row.append(
    cell(created),
    prompt,
    cell(task.model),
    cell(task.dialect || "minimax", "dialect"), // the API the task was created through
    cell(`${task.resolution} · ${task.duration} s`),
    status,
    actions
  );
  return row;
}

async function loadHistory(more = false) {
  if (!apiKey()) return;
  const cursor = more && state.cursor ? `&cursor=${state.cursor}` : "";
  try {
    const page = await api(`/v1/tasks?limit=10${cursor}`);
    const rows = page.tasks.map(historyRow);
    if (more) $("#task-rows").append(...rows);
    else if (rows.length) $("#task-rows").replaceChildren(...rows);
    else $("#task-rows").innerHTML = '<tr><td colspan="6" class="muted">No tasks yet.</td></tr>';
    state.cursor = page.next_cursor;
    $("#more").hidden = !page.next_cursor;
    $("#key-state").textContent = "";
  } catch (error) {
    $("#key-state").textContent = error.message;
  }
}

// --- wiring ---------------------------------------------------------------------------------

function init() {
  $("#api-key").value = apiKey();
  $("#key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    localStorage.setItem(KEY_STORAGE, $("#api-key").value.trim());
    $("#key-state").textContent = "saved";
    loadHistory();
  });
  $("#model").addEventListener("change", refreshChoices);
  $("#resolution").addEventListener("change", refreshChoices);
  $("#duration").addEventListener("change", refreshChoices);
  for (const which of ["first", "last"]) {
    $(`#${which}-frame`).addEventListener("change", (e) => readFrame(which, e.target.files[0]));
    document
      .querySelector(`[data-clear="${which}"]`)
      .addEventListener("click", () => readFrame(which, null));
  }
  $("#create-form").addEventListener("submit", submit);
  $("#cancel").addEventListener("click", cancelCurrent);
  $("#refresh").addEventListener("click", () => loadHistory());
  $("#more").addEventListener("click", () => loadHistory(true));
  loadCatalog().then(() => loadHistory());
}

init();
