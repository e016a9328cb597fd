// Candidate screens: countdown (server time is the truth), warnings at 5 and 1 minutes,
// audio plays counted on the server, automatic return after a pause. No inline script (CSP).
(function () {
  "use strict";
  var timer = document.getElementById("timer");
  var warning = document.getElementById("time-warning");
  var form = document.getElementById("unit-form");
  // Every text comes translated from the page (#i18n data attributes, see candidate/base.html).
  var texts = (document.getElementById("i18n") || { dataset: {} }).dataset;
  function t(key, n) { return String(texts[key] || "").replace("{n}", n); }

  // True when the candidate chose or typed anything in the form.
  function answered(f) {
    return Array.prototype.some.call(f.elements, function (e) {
      if (e.type === "hidden" || e.type === "submit" || e.type === "button") return false;
      if (e.type === "radio" || e.type === "checkbox") return e.checked;
      return e.value !== "" && e.value != null && (e.tagName === "SELECT" || e.value.trim() !== "");
    });
  }

  function fmt(s) { var m = Math.floor(s / 60), r = s % 60; return m + ":" + (r < 10 ? "0" : "") + r; }

  function status(url, cb) {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; }).then(function (d) { if (d) cb(d); })
      .catch(function () { /* network loss: keep counting; the server decides at submit */ });
  }

  if (timer) {
    var remaining = parseInt(timer.dataset.remaining, 10);
    var deadline = Date.now() + remaining * 1000;
    var warned5 = remaining <= 300, warned1 = remaining <= 60;
    var presentation = timer.dataset.presentation;
    var tick = function () {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      timer.textContent = fmt(left);
      timer.classList.toggle("low", left <= 300);
      timer.classList.toggle("critical", left <= 60);
      if (!warned5 && left <= 300) { warned5 = true; warning.hidden = false; warning.textContent = t("warn5"); }
      if (!warned1 && left <= 60) { warned1 = true; warning.hidden = false; warning.textContent = t("warn1"); }
      if (left <= 0) {
        // Time is up: send what is filled in now (the server accepts it within a short grace),
        // then the server closes the section.
        clearInterval(handle);
        if (form && answered(form)) { var b = form.querySelector("button.next"); if (b) b.disabled = true; form.submit(); }
        // Nothing filled in: send nothing (an empty answer would count as wrong); the server
        // closes the section once its short grace has passed.
        else { setTimeout(function () { window.location.reload(); }, 1000); }
      }
    };
    var handle = setInterval(tick, 1000);
    tick();
    // Re-synchronise with the server (pause, extra time, end by the proctor).
    var pollMs = 1000 * parseInt(timer.dataset.poll || "5", 10);
    setInterval(function () {
      status(timer.dataset.statusUrl, function (d) {
        if (d.kind !== "item" || String(d.presentation_id) !== presentation) { window.location.reload(); return; }
        deadline = Date.now() + d.remaining_seconds * 1000;
      });
    }, pollMs);
  }

  var watch = document.getElementById("watch");
  if (watch) {
    setInterval(function () {
      status(watch.dataset.statusUrl, function (d) {
        if (String(d.presentation_id) !== watch.dataset.presentation) window.location.reload();
      });
    }, 1000 * parseInt(watch.dataset.poll || "5", 10));
  }

  var paused = document.getElementById("paused");
  if (paused) {
    setInterval(function () {
      status(paused.dataset.statusUrl, function (d) { if (d.kind !== "paused") window.location.reload(); });
    }, 1000 * parseInt(paused.dataset.poll || "3", 10));
  }

  if (form) {
    form.addEventListener("submit", function () {
      var btn = form.querySelector("button.next");
      if (btn) { btn.disabled = true; btn.textContent = t("wait"); }
    });
  }

  document.querySelectorAll(".audio").forEach(function (box) {
    var btn = box.querySelector("button.play"), audio = box.querySelector("audio"), label = box.querySelector(".plays");
    if (parseInt(box.dataset.playsLeft, 10) <= 0) { btn.disabled = true; label.textContent = t("noMore"); }
    btn.addEventListener("click", function () {
      btn.disabled = true;
      fetch(box.dataset.playUrl, { method: "POST", credentials: "same-origin",
        headers: { "X-CSRFToken": box.dataset.csrf, "Accept": "application/json" } })
        .then(function (r) { return r.json().then(function (d) { return { ok: r.ok, d: d }; }); })
        .then(function (res) {
          if (!res.ok) { label.textContent = res.d.error || t("noMore"); return; }
          label.textContent = res.d.plays_left > 0 ? t("playsLeft", res.d.plays_left) : t("lastPlay");
          audio.src = res.d.url; audio.play();
          audio.onended = function () { btn.disabled = res.d.plays_left <= 0; if (res.d.plays_left <= 0) label.textContent = t("noMore"); };
        })
        .catch(function () { btn.disabled = false; });
    });
  });
})();
