// The tournament and its named days: see the current ones, pick or create a tournament,
// set the day (date and name, e.g. "Day 2 – Finals"); the recording folder of the next
// match is <recordings>/<tournament>/<date> <day name>.

import { el, getJSON, postJSON, toast } from "./api.js";

export class TournamentPanel {
  constructor() {
    this.form = document.getElementById("tournament-form");
    this.dayForm = document.getElementById("day-form");
    this.current = document.getElementById("tournament-current");
    this.list = document.getElementById("tournament-names");
    this.form.addEventListener("submit", (e) => { e.preventDefault(); this.setTournament(); });
    this.dayForm.addEventListener("submit", (e) => { e.preventDefault(); this.setDay(); });
  }

  async show() {
    let current, tournaments;
    try {
      [current, tournaments] = await Promise.all([getJSON("/api/v1/current"), getJSON("/api/v1/tournaments")]);
    } catch (err) {
      this.current.textContent = `Tournament unavailable: ${err.message}`;
      return null;
    }
    this.list.replaceChildren(...(tournaments.tournaments || []).map((t) => el("option", { value: t.name })));
    const t = current.tournament, d = current.day;
    this.current.textContent = t
      ? `Now: ${t.name}${d ? `, ${d.date}${d.name ? ` – ${d.name}` : ""}` : ""}`
      : "No tournament yet: the first match opens “Tournament <date>”, or set one here.";
    if (d && !this.dayForm.elements.date.value) this.dayForm.elements.date.value = d.date;
    if (d && !this.dayForm.elements.name.value) this.dayForm.elements.name.value = d.name || "";
    return current;
  }

  async setTournament() {
    const name = this.form.elements.name.value.trim();
    if (!name) return;
    try {
      await postJSON("/api/v1/tournament", { name });
    } catch (err) {
      toast(`Tournament not set: ${err.message}`, "error");
      return;
    }
    await this.settle((c) => c.tournament && c.tournament.name === name);
    toast(`Tournament: ${name}`);
  }

  async setDay() {
    const date = this.dayForm.elements.date.value;
    const name = this.dayForm.elements.name.value.trim();
    const body = name ? { day: date, name } : { day: date };
    try {
      await postJSON("/api/v1/day", body);
    } catch (err) {
      toast(`Day not set: ${err.message}`, "error");
      return;
    }
    await this.settle((c) => c.day && c.day.date === date && (!name || c.day.name === name));
    toast(`Day: ${date}${name ? ` – ${name}` : ""}`);
  }

  /** The store applies the change in order with the feed: show it once it has. */
  async settle(done) {
    for (let i = 0; i < 20; i += 1) {
      const current = await this.show();
      if (!current || done(current)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
