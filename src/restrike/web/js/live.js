// The /ws/live client shared by the console and the overlays.
//
// Messages are only merged into `model` when they arrive; the DOM is touched at most
// once per animation frame by the `render` callback, so a burst of 1,000 messages a
// second costs 1,000 small merges and ~60 renders, never a growing backlog.

const MAX_EVENTS = 200;

// An overlay opened by OBS as `...?token=…` (a station that needs its operator token)
// passes the token on, in case the browser keeps no cookie.
function withToken(path) {
  const token = new URLSearchParams(location.search).get("token");
  return token ? `${path}?token=${encodeURIComponent(token)}` : path;
}

export class LiveClient {
  constructor({ url = null, render = () => {}, onResync = null, maxEvents = MAX_EVENTS } = {}) {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    this.url = url || `${proto}//${location.host}${withToken("/ws/live")}`;
    this.render = render;
    this.onResync = onResync;
    this.maxEvents = maxEvents;
    this.model = {
      state: null, stats: null, status: null, review: null, reviewAt: 0, reviewError: null,
      events: [], newEvents: [], connected: false, messages: 0, lastMessageAt: 0,
      eventCount: 0, rate: 0,
    };
    this.dirty = new Set();
    this.frame = 0;
    this.ws = null;
    this.backoff = 250;
    this.closed = false;
    this.rateWindow = [];
  }

  start() {
    this.connect();
    this.rateTimer = setInterval(() => this.tickRate(), 1000);
    return this;
  }

  stop() {
    this.closed = true;
    clearInterval(this.rateTimer);
    if (this.ws) this.ws.close();
  }

  connect() {
    if (this.closed) return;
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.backoff = 250;
      this.model.connected = true;
      this.mark("connection");
      // Back after a drop: the snapshot brings the state, the feed missed events.
      if (this.everConnected && this.onResync) this.onResync();
      this.everConnected = true;
      this.loadLicense();
    };
    ws.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      this.merge(msg);
    };
    ws.onclose = () => {
      this.model.connected = false;
      this.mark("connection");
      this.retry();
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  retry() {
    if (this.closed) return;
    const wait = this.backoff * (0.75 + Math.random() * 0.5);
    this.backoff = Math.min(this.backoff * 2, 5000);
    setTimeout(() => this.connect(), wait);
  }

  tickRate() {
    const m = this.model;
    this.rateWindow.push(m.eventCount);
    if (this.rateWindow.length > 5) this.rateWindow.shift();
    const n = this.rateWindow.length;
    m.rate = n > 1 ? (this.rateWindow[n - 1] - this.rateWindow[0]) / (n - 1) : 0;
    this.mark("tick");
  }

  setReview(review) {
    this.model.review = review || null;
    this.model.reviewAt = performance.now();
  }

  /** A failed replay step (the workflow's review_error, or an open review's error). */
  noteReviewError(r) {
    if (!r || !r.error || !(r.event === "review_error" || r.active)) return;
    const last = this.model.reviewError;
    if (last && last.text === r.error && last.id === r.id) return;
    this.model.reviewError = { text: r.error, id: r.id, at: performance.now() };
    this.mark("review-error");
  }

  merge(msg) {
    const m = this.model;
    m.messages += 1;
    m.lastMessageAt = Date.now();
    switch (msg.type) {
      case "snapshot":
        if (msg.state) m.state = msg.state;
        if (msg.stats) m.stats = msg.stats;
        if (msg.status) m.status = msg.status;
        if (msg.review !== undefined) this.setReview(msg.review);
        else if (msg.state && msg.state.review !== undefined) this.setReview(msg.state.review);
        this.mark("state", "stats", "status", "review");
        break;
      case "state":
        m.state = msg.state;
        if (msg.state && msg.state.review !== undefined) { this.setReview(msg.state.review); this.mark("review"); }
        this.mark("state");
        break;
      case "events": {
        const evs = msg.events || [];
        m.eventCount += evs.length;
        for (const e of evs) m.newEvents.push(e);
        if (m.newEvents.length > this.maxEvents) m.newEvents.splice(0, m.newEvents.length - this.maxEvents);
        this.mark("events");
        break;
      }
      case "stats":
        m.stats = msg.stats;
        this.mark("stats");
        break;
      case "status":
        m.status = { ...(m.status || {}), ...msg.status };
        this.mark("status");
        break;
      case "review":
        this.setReview(msg.review);
        this.noteReviewError(msg.review);
        this.mark("review");
        break;
      case "resync":
        this.resync();
        break;
      case "license":
        m.license = msg.license;
        this.mark("license");
        break;
      case "analysis": // the analysis plugin found the impact in a saved review clip
        m.analysis = msg.analysis;
        this.mark("review");
        break;
      default:
        break;
    }
  }

  /** The licence's state, when the licence plugin runs (404 otherwise): the live
   *  "license" messages only say when it changes. */
  async loadLicense() {
    try {
      const res = await fetch(withToken("/api/v1/license"), { headers: { Accept: "application/json" } });
      this.model.license = res.ok ? await res.json() : null;
      this.mark("license");
    } catch { /* the next "license" message brings it */ }
  }

  async resync() {
    try {
      const res = await fetch(withToken("/api/v1/state"), { headers: { Accept: "application/json" } });
      if (res.ok) {
        const state = await res.json();
        this.model.state = state;
        if (state && state.review !== undefined) this.setReview(state.review);
        this.mark("state", "review", "resync");
      }
    } catch { /* the next state message repairs it */ }
    if (this.onResync) this.onResync();
  }

  /** Remaining review seconds now, counted down locally between messages. */
  reviewRemaining() {
    const r = this.model.review;
    if (!r || !r.active || r.review_clock_remaining == null) return null;
    const elapsed = (performance.now() - this.model.reviewAt) / 1000;
    return Math.max(0, r.review_clock_remaining - elapsed);
  }

  mark(...parts) {
    for (const p of parts) this.dirty.add(p);
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  flush() {
    this.frame = 0;
    const dirty = this.dirty;
    this.dirty = new Set();
    const m = this.model;
    if (m.newEvents.length) {
      // newEvents is oldest first; the kept list is newest first
      m.events = m.newEvents.slice().reverse().concat(m.events);
      if (m.events.length > this.maxEvents) m.events.length = this.maxEvents;
    }
    const fresh = m.newEvents;
    m.newEvents = [];
    try {
      this.render(m, dirty, fresh);
    } catch (err) {
      console.error("render failed", err);
    }
  }
}
