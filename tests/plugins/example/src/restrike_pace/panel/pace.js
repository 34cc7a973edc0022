// The pace panel: the station's GET /api/v1/pace every second (the pace falls as
// points leave the window, so it is read again even when nothing is scored).

const status = document.getElementById("status");

function show(pace) {
  document.getElementById("window").textContent = `last ${pace.window_seconds} s`;
  for (const side of ["blue", "red"]) {
    const box = document.getElementById(side);
    box.querySelector(".rate").textContent = `${pace[side].per_minute.toFixed(1)}/min`;
    box.querySelector(".detail").textContent =
      `${pace[side].points} points in ${pace[side].actions} scoring actions`;
  }
}

async function refresh() {
  try {
    const answer = await fetch("/api/v1/pace", { headers: { Accept: "application/json" } });
    if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
    show(await answer.json());
    status.textContent = "";
  } catch (err) {
    status.textContent = `The station does not answer (${err.message}).`;
  }
}

refresh();
setInterval(refresh, 1000);
