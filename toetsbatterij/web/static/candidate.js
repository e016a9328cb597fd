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
  // A translated text with named {placeholders}, filled in one pass (a fragment that itself
  // contains "{n}" stays as it is).
  function fill(key, values) {
    return String(texts[key] || "").replace(/\{(\w+)\}/g, function (m, k) {
      return Object.prototype.hasOwnProperty.call(values, k) ? String(values[k]) : m;
    });
  }

  // True when the candidate chose or typed anything in the form.
  function answered(f) {
    return Array.prototype.some.call(f.elements, function (e) {
      if (e.type === "hidden" || e.type === "submit" || e.type === "button") return false;
      if (e.type === "radio" || e.type === "checkbox") return e.checked;
      return e.value !== "" && e.value != null && (e.tagName === "SELECT" || e.value.trim() !== "");
    });
  }

  // Once the page is on its way to the next screen (an answer sent, a reload started), a poll
  // that answers late must not reload: that would abort the navigation in flight.
  var leaving = false;
  window.addEventListener("beforeunload", function () { leaving = true; });
  window.addEventListener("pageshow", function () { leaving = false; });
  function reload() { if (!leaving) { leaving = true; window.location.reload(); } }

  function fmt(s) { var m = Math.floor(s / 60), r = s % 60; return m + ":" + (r < 10 ? "0" : "") + r; }

  // The status poll is the page's heartbeat: a POST (it notes the contact and lets the server
  // close a section whose time ran out); a GET never writes.
  function status(url, cb) {
    fetch(url, { method: "POST", credentials: "same-origin",
                 headers: { "Accept": "application/json", "X-CSRFToken": document.getElementById("i18n").dataset.csrf } })
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
        else { setTimeout(reload, 1000); }
      }
    };
    var handle = setInterval(tick, 1000);
    tick();
    // Re-synchronise with the server (pause, extra time, end by the proctor).
    var pollMs = 1000 * parseInt(timer.dataset.poll || "5", 10);
    setInterval(function () {
      status(timer.dataset.statusUrl, function (d) {
        if (d.kind !== "item" || String(d.presentation_id) !== presentation) { reload(); return; }
        deadline = Date.now() + d.remaining_seconds * 1000;
      });
    }, pollMs);
  }

  var watch = document.getElementById("watch");
  if (watch) {
    setInterval(function () {
      status(watch.dataset.statusUrl, function (d) {
        if (String(d.presentation_id) !== watch.dataset.presentation) reload();
      });
    }, 1000 * parseInt(watch.dataset.poll || "5", 10));
  }

  // The pause screen, and the waiting screen before admission: both reload when the state moves.
  var paused = document.getElementById("paused") || document.getElementById("waiting");
  if (paused) {
    setInterval(function () {
      status(paused.dataset.statusUrl, function (d) { if (d.kind !== paused.id) reload(); });  // the id is the screen kind
    }, 1000 * parseInt(paused.dataset.poll || "3", 10));
  }

  var pending = document.getElementById("continue-form");
  if (pending) pending.submit();

  if (form) {
    form.addEventListener("submit", function () {
      var btn = form.querySelector("button.next");
      if (btn) { btn.disabled = true; btn.textContent = t("wait"); }
    });
  }

  // Ordering: the fragments as a list with "omhoog"/"omlaag" buttons, operable with the keyboard
  // alone (Tab, Space/Enter). The select lists of the page stay the form: they are hidden and
  // follow the list, so the server receives exactly the fields of the no-JavaScript page.
  document.querySelectorAll(".order-selects").forEach(function (box) {
    var selects = Array.prototype.slice.call(box.querySelectorAll("select"));
    if (!selects.length) return;
    var lang = document.documentElement.lang || "";
    var byId = {};
    var fragments = Array.prototype.filter.call(selects[0].options, function (o) { return o.value !== ""; })
      .map(function (o) { byId[o.value] = o.textContent; return o.value; });
    // Until the candidate moves a fragment the select lists stay empty, as on the page without
    // JavaScript: the shuffled start order is no answer of the candidate (it would earn points
    // under per-position scoring and make an untouched item look answered at time-out).
    var touched = false;
    var kept = selects.map(function (s) { return s.value; });
    var complete = kept.every(function (v) { return Object.prototype.hasOwnProperty.call(byId, v); }) &&
      kept.filter(function (v, i) { return kept.indexOf(v) === i; }).length === kept.length;
    if (complete && kept.length === fragments.length) { fragments = kept; touched = true; }  // restored by the browser

    var list = document.createElement("ol");
    list.className = "order-list";
    var live = document.createElement("p");
    live.className = "order-status";
    live.setAttribute("aria-live", "polite");
    live.setAttribute("lang", lang);
    // The sentence is in the candidate's language (right to left in Arabic and Dari) around a
    // Dutch fragment: the page's direction for the sentence, the fragment isolated (FSI ... PDI).
    live.setAttribute("dir", document.documentElement.dir || "ltr");

    function rows() { return Array.prototype.slice.call(list.children); }

    function button(kind, text, label) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "order-move " + kind;
      b.setAttribute("lang", lang);
      b.setAttribute("dir", "auto");
      b.setAttribute("aria-label", label);
      var arrow = document.createElement("span");
      arrow.setAttribute("aria-hidden", "true");
      arrow.className = "arrow";
      arrow.textContent = kind === "up" ? "\u25B2" : "\u25BC";
      b.appendChild(arrow);
      b.appendChild(document.createTextNode(" " + text));
      return b;
    }

    function sync() {
      var items = rows();
      items.forEach(function (li, i) {
        var first = i === 0, last = i === items.length - 1;
        li.querySelector(".up").setAttribute("aria-disabled", first ? "true" : "false");
        li.querySelector(".down").setAttribute("aria-disabled", last ? "true" : "false");
      });
      if (touched) selects.forEach(function (s, i) { s.value = items[i].dataset.id; });
    }

    function announce(li) {
      var items = rows();
      var text = fill("orderMoved", { fragment: "\u2068" + byId[li.dataset.id] + "\u2069",
                                      n: items.indexOf(li) + 1,
                                      total: items.length });
      // Emptied first, so that the same sentence twice (a move at the end of the list) is
      // read again.
      live.textContent = "";
      setTimeout(function () { live.textContent = text; }, 50);
    }

    function move(li, btn, step) {
      var items = rows(), i = items.indexOf(li), j = i + step;
      if (j >= 0 && j < items.length) {
        // The neighbour moves, not the row with the focused button: a focused element taken
        // out of the document loses focus.
        list.insertBefore(items[j], step < 0 ? li.nextSibling : li);
        touched = true;
        items.forEach(function (r) { r.classList.remove("moved"); });
        li.classList.add("moved");
      }
      sync();
      btn.focus();
      announce(li);
    }

    fragments.forEach(function (id) {
      var li = document.createElement("li");
      li.className = "order-item";
      li.dataset.id = id;
      var text = document.createElement("span");
      text.className = "order-text";
      text.textContent = byId[id];
      var up = button("up", t("orderUp"), fill("orderUpLabel", { fragment: byId[id] }));
      var down = button("down", t("orderDown"), fill("orderDownLabel", { fragment: byId[id] }));
      up.addEventListener("click", function () { move(li, up, -1); });
      down.addEventListener("click", function () { move(li, down, 1); });
      var buttons = document.createElement("span");
      buttons.className = "order-buttons";
      buttons.appendChild(up);
      buttons.appendChild(down);
      li.appendChild(text);
      li.appendChild(buttons);
      list.appendChild(li);
    });
    box.hidden = true;
    box.parentNode.insertBefore(list, box);
    box.parentNode.insertBefore(live, box);
    sync();
  });

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
