// The Licence panel: GET /api/v1/license every 5 s; activate, validate, deactivate.

const status = document.getElementById("status");
const FIELDS = ["days_left", "last_validated", "server", "key", "fingerprint", "last_error"];

function show(body) {
  const state = document.getElementById("state");
  state.textContent = body.state;
  state.className = `state ${body.state}`;
  document.getElementById("reason").textContent = body.reason;
  for (const name of FIELDS) {
    document.getElementById(name).textContent = body[name] ?? "–";
  }
  document.getElementById("deactivate").disabled = !body.server;
  document.getElementById("validate").disabled = !body.server;
}

async function call(method, path, body) {
  const answer = await fetch(path, {
    method,
    headers: { Accept: "application/json", "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await answer.json().catch(() => ({}));
  if (!answer.ok) throw new Error(data.detail || `HTTP ${answer.status}`);
  return data;
}

async function refresh() {
  try {
    show(await call("GET", "/api/v1/license"));
  } catch (err) {
    status.textContent = `The station does not answer (${err.message}).`;
  }
}

async function act(what, path, body) {
  status.textContent = `${what}…`;
  try {
    const data = await call("POST", path, body);
    show(data);
    status.textContent = data.error ? `${what}: ${data.error}` : `${what}: done.`;
  } catch (err) {
    status.textContent = `${what} failed: ${err.message}`;
  }
}

document.getElementById("activate").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  act("Activation", "/api/v1/license/activate",
    { key: form.get("key"), server: form.get("server") });
});
document.getElementById("validate").addEventListener("click",
  () => act("Validation", "/api/v1/license/validate"));
document.getElementById("deactivate").addEventListener("click", () => {
  if (confirm("Free this machine's seat? The licensed features lock until it is activated again.")) {
    act("Deactivation", "/api/v1/license/deactivate");
  }
});

refresh();
setInterval(refresh, 5000);
