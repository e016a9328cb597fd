// The parts of the browser recorder shared by the candidate's speaking screens and microphone
// check (productions.js) and the authors' recording studio (studio.js): the microphone, the
// MediaRecorder type (Opus in WebM or Ogg), the level meter, and a JSON-answering POST with the
// CSRF token. Loaded before either script; no inline script (CSP).
(function () {
  "use strict";

  function fill(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (m, k) {
      return Object.prototype.hasOwnProperty.call(values, k) ? String(values[k]) : m;
    });
  }
  function fmt(s) { s = Math.max(0, Math.ceil(s)); var m = Math.floor(s / 60), r = s % 60; return m + ":" + (r < 10 ? "0" : "") + r; }
  function post(url, csrf, body, type) {
    return fetch(url, { method: "POST", credentials: "same-origin", body: body,
      headers: { "X-CSRFToken": csrf, "Accept": "application/json", "Content-Type": type || "application/json" } })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (d) { return { status: r.status, ok: r.ok, d: d }; });
      });
  }
  // A level meter on a <meter> element while the stream runs; returns the function that stops it.
  function meter(stream, el) {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx || !el) return function () {};
    var ctx = new Ctx(), src = ctx.createMediaStreamSource(stream), an = ctx.createAnalyser();
    an.fftSize = 1024; src.connect(an);
    var buf = new Float32Array(an.fftSize), running = true;
    (function draw() {
      if (!running) return;
      an.getFloatTimeDomainData(buf);
      var sum = 0; for (var i = 0; i < buf.length; i++) sum += buf[i] * buf[i];
      el.value = Math.min(1, Math.sqrt(sum / buf.length) * 4);
      requestAnimationFrame(draw);
    })();
    el.parentNode.hidden = false;
    return function () { running = false; el.value = 0; try { ctx.close(); } catch (e) { /* closed */ } };
  }
  function mimeType() {
    if (!window.MediaRecorder) return null;
    var types = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus"];
    for (var i = 0; i < types.length; i++) if (MediaRecorder.isTypeSupported(types[i])) return types[i];
    return null;
  }
  function microphone() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return Promise.reject(new Error("no mic"));
    return navigator.mediaDevices.getUserMedia({ audio: true });
  }

  window.TBRecorder = { fill: fill, fmt: fmt, post: post, meter: meter, mimeType: mimeType,
                        microphone: microphone };
})();
