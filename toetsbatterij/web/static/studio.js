// The recording studio: one take per turn of a script, recorded with the shared recorder
// (recorder.js: microphone, MediaRecorder type, level meter, POST). A take is sent whole when
// the author stops (one turn, at most the page's data-max-seconds); the server decodes it and
// answers with its length, or with a Dutch error. No inline script (CSP); texts come from the
// page's data attributes.
(function () {
  "use strict";
  var page = document.getElementById("studio");
  if (!page) return;
  var R = window.TBRecorder, d = page.dataset;
  var maxSeconds = parseInt(d.maxSeconds, 10) || 180;
  var level = page.querySelector("meter.level"), status = page.querySelector(".studio-status");
  var mime = R.mimeType(), stream = null, active = null;

  function say(text, kind) {
    status.textContent = text;
    status.className = "studio-status flash " + (kind || "info");
    status.hidden = !text;
  }
  function buttons(disabled) {
    page.querySelectorAll(".rec-start").forEach(function (b) { b.disabled = disabled; });
  }

  // Show the turns of one role (a speaker records all their turns in a row), or all of them.
  page.querySelectorAll(".role-filter").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var role = btn.dataset.role;
      page.querySelectorAll(".studio-turn").forEach(function (li) {
        li.hidden = !!role && li.dataset.role !== role;
      });
      page.querySelectorAll(".role-filter").forEach(function (b) {
        b.setAttribute("aria-pressed", b === btn ? "true" : "false");
      });
    });
  });

  page.querySelectorAll(".studio-turn").forEach(function (li) {
    var start = li.querySelector(".rec-start"), stop = li.querySelector(".rec-stop");
    var state = li.querySelector(".turn-state"), audio = li.querySelector("audio");
    var clock = li.querySelector(".turn-clock");

    function finish(rec, parts, type, timer) {
      clearInterval(timer);
      var blob = new Blob(parts, { type: type });
      state.textContent = d.sending;
      R.post(d.uploadUrl + "&turn=" + li.dataset.turn, d.csrf, blob, type).then(function (res) {
        active = null; buttons(false);
        start.hidden = false; stop.hidden = true; clock.textContent = "";
        if (!res.ok) {
          state.textContent = d.failed;
          say(res.d.error || d.failed, "error");
          start.focus();
          return;
        }
        say("", "info");
        state.textContent = R.fill(d.recorded, { seconds: Number(res.d.seconds).toFixed(1).replace(".", ",") });
        li.classList.add("done"); li.classList.remove("stale");
        audio.src = res.d.url; audio.hidden = false;
        // The next turn of the same speaker is next in line.
        var next = li.nextElementSibling;
        while (next && next.hidden) next = next.nextElementSibling;
        var btn = next ? next.querySelector(".rec-start") : page.querySelector(".studio-assemble button");
        if (btn) btn.focus();
      }).catch(function () {
        active = null; buttons(false); start.hidden = false; stop.hidden = true;
        state.textContent = d.failed; say(d.offline, "error");
      });
    }

    start.addEventListener("click", function () {
      if (active || !mime) { if (!mime) say(d.noRecorder, "error"); return; }
      buttons(true);
      var ready = stream ? Promise.resolve(stream) : R.microphone();
      ready.then(function (s) {
        stream = s;
        var rec = new MediaRecorder(stream, { mimeType: mime, audioBitsPerSecond: 48000 });
        var parts = [], type = rec.mimeType || mime, began = Date.now(), stopMeter = R.meter(stream, level);
        var timer = setInterval(function () {
          var left = maxSeconds - (Date.now() - began) / 1000;
          clock.textContent = R.fmt((Date.now() - began) / 1000);
          if (left <= 0 && rec.state !== "inactive") rec.stop();
        }, 250);
        rec.ondataavailable = function (e) { if (e.data && e.data.size) parts.push(e.data); };
        rec.onstop = function () { stopMeter(); finish(rec, parts, type, timer); };
        active = rec;
        rec.start();
        start.hidden = true; stop.hidden = false; stop.focus();
        state.textContent = d.recording;
      }).catch(function () {
        buttons(false); say(d.noMic, "error");
      });
    });
    stop.addEventListener("click", function () {
      if (active && active.state !== "inactive") active.stop();
    });
  });
})();
