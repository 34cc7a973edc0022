// The moments panel: the tags of a match on a timeline and in a table, live from
// /ws/live ({"type": "tags"}), manual marks, and highlight-reel jobs.

const $ = (id) => document.getElementById(id);
const status = $("status");
let tags = [];
let shown = { match: null, day: null };

function query() {
  const params = new URLSearchParams();
  if (shown.match) params.set("match", shown.match);
  if (shown.day) params.set("day", shown.day);
  return params.toString();
}

async function call(method, url, body) {
  const answer = await fetch(url, {
    method, headers: { Accept: "application/json", "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await answer.json().catch(() => ({}));
  if (!answer.ok) throw new Error(typeof data.detail === "string" ? data.detail : `HTTP ${answer.status}`);
  return data;
}

function label(tag) {
  return tag.kind.replaceAll("_", " ") + (tag.side ? ` (${tag.side})` : "");
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text ?? "";
  row.append(td);
  return td;
}

function render() {
  const line = $("timeline");
  line.replaceChildren();
  const body = $("tags");
  body.replaceChildren();
  if (!tags.length) return;
  const first = tags[0].at, last = tags[tags.length - 1].at, span = Math.max(1, last - first);
  for (const tag of tags) {
    const mark = document.createElement("span");
    mark.className = `mark ${tag.side ?? "none"}`;
    mark.style.left = `${2 + 96 * (tag.at - first) / span}%`;
    mark.title = `${label(tag)} ${tag.clock ?? ""}`;
    line.append(mark);
    const row = document.createElement("tr");
    row.className = tag.source;
    cell(row, new Date(tag.at * 1000).toLocaleTimeString());
    cell(row, tag.match_number ?? tag.match);
    cell(row, tag.round);
    cell(row, tag.clock);
    cell(row, label(tag) + (tag.note ? ` — ${tag.note}` : ""));
    cell(row, tag.score_after ? tag.score_after.join(" - ") : "");
    cell(row, tag.recording ? `${tag.recording.offset.toFixed(1)} s` : "no recording");
    const actions = cell(row, "");
    if (tag.source !== "auto") {
      const remove = document.createElement("button");
      remove.textContent = "Delete";
      remove.onclick = () => call("DELETE", `/api/v1/tags/${tag.id}`).catch(show);
      actions.append(remove);
    }
    body.append(row);
  }
}

function show(err) { status.textContent = err ? String(err.message ?? err) : ""; }

async function load() {
  try {
    tags = (await call("GET", `/api/v1/tags?${query()}`)).tags;
    if (!shown.match && !shown.day && tags.length) {
      const current = tags[tags.length - 1].match;
      tags = tags.filter((t) => t.match === current);
    }
    render();
    show(null);
  } catch (err) { show(err); }
}

function jobLine(job) {
  let item = document.getElementById(`job-${job.id}`);
  if (!item) {
    item = document.createElement("li");
    item.id = `job-${job.id}`;
    $("jobs").prepend(item);
  }
  const what = job.request.match ? `match ${job.request.match}` : `day ${job.request.day}`;
  item.textContent = `Reel ${job.id} (${what}): ${job.state} ${Math.round(job.progress * 100)}% ${job.error ?? job.step}`;
  if (job.state === "done") {
    const link = document.createElement("a");
    link.href = `/api/v1/highlights/${job.id}/file`;
    link.textContent = " download";
    item.append(link);
  }
}

function listen() {
  const socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/live`);
  socket.onmessage = (message) => {
    const data = JSON.parse(message.data);
    if (data.type === "tags") {
      if (data.tags.event === "added") {
        tags.push(...data.tags.tags.filter((t) => !shown.match || t.match === Number(shown.match)));
        tags.sort((a, b) => a.at - b.at);
      } else {
        tags = tags.filter((t) => !data.tags.ids.includes(t.id));
      }
      render();
    } else if (data.type === "highlights") {
      jobLine(data.highlights);
    }
  };
  socket.onclose = () => setTimeout(listen, 2000);
}

$("filter").onsubmit = (e) => {
  e.preventDefault();
  shown = { match: $("match").value || null, day: $("day").value || null };
  load();
};
$("mark").onsubmit = (e) => {
  e.preventDefault();
  const note = $("note").value || undefined;
  call("POST", "/api/v1/tags", { at: new Date().toISOString(), note }).then(() => { $("note").value = ""; }).catch(show);
};
$("reel").onsubmit = (e) => {
  e.preventDefault();
  const body = {};
  if ($("reel-match").value) body.match = $("reel-match").value;
  if ($("reel-day").value) body.day = $("reel-day").value;
  if ($("reel-max").value) body.max_seconds = Number($("reel-max").value);
  if ($("reel-angle").value.trim()) body.angle = $("reel-angle").value.trim();
  call("POST", "/api/v1/highlights", body).then(jobLine).catch(show);
};

call("GET", "/api/v1/highlights").then((d) => d.jobs.reverse().forEach(jobLine)).catch(show);
load();
listen();
