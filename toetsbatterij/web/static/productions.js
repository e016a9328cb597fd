// Writing and speaking screens, and the microphone check. No inline script (CSP); every text
// comes translated from the page's data attributes.
//
// Writing: the text is saved every few seconds and on leaving the box; each save names the
// version it is based on and the server answers with the new version (an older save gets 409).
// Until a save is confirmed the text is kept in localStorage, so a reload on this computer
// loses nothing; on another computer the server's last confirmed text is in the box.
//
// Speaking: preparation countdown, then MediaRecorder (Opus in WebM or Ogg) with a countdown and
// a level meter; a chunk every few seconds goes to the server, one at a time, in order, each
// acknowledged; after a crash the recording goes on as a new part of the same take.
(function () {
  "use strict";

  // Shared with the recording studio (recorder.js, loaded first).
  var R = window.TBRecorder, fill = R.fill, fmt = R.fmt, post = R.post;
  var meter = R.meter, mimeType = R.mimeType, microphone = R.microphone;
  function store(key, value) {
    try { if (value === null) localStorage.removeItem(key); else localStorage.setItem(key, JSON.stringify(value)); }
    catch (e) { /* storage full or blocked: the server copy still counts */ }
  }
  function load(key) { try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; } }
  var form = document.getElementById("unit-form");
  // Other parts of the page that must finish before the form is sent (a save, the last chunks).
  var beforeSubmit = [];

  // -- writing -----------------------------------------------------------------------------------
  document.querySelectorAll(".writing").forEach(function (box) {
    var d = box.dataset, area = box.querySelector("textarea");
    var count = box.querySelector(".word-count"), state = box.querySelector(".save-state");
    var offline = box.querySelector(".banner.offline"), pasteNote = box.querySelector(".banner.paste");
    var key = "tb-draft:" + d.presentation + ":" + d.item;
    var version = parseInt(d.version, 10) || 0;
    var confirmed = area.value, inFlight = null, timer = null;

    function words(text) { var t = text.trim(); return t ? t.split(/\s+/).length : 0; }
    function showCount() {
      var n = words(area.value), max = parseInt(d.max, 10);
      count.textContent = n === 1 ? d.word : (max && n > max ? fill(d.tooMany, { n: n, max: max }) : fill(d.words, { n: n }));
      count.classList.toggle("over", !!max && n > max);
    }
    function showState(kind) {
      state.textContent = "";
      var icon = document.createElement("span");
      icon.className = "icon"; icon.setAttribute("aria-hidden", "true");
      icon.textContent = kind === "saved" ? "\u2713" : kind === "saving" ? "\u21bb" : "\u2022";
      state.appendChild(icon);
      state.appendChild(document.createTextNode(" " + (kind === "saved" ? d.saved : kind === "saving" ? d.saving : d.unsaved)));
      state.className = "save-state " + kind;
    }

    // A text typed here but never confirmed (network gone, then a reload) comes back, if the
    // server has not stored anything newer in the meantime.
    var local = load(key);
    if (local && local.base === version && local.text !== area.value) { area.value = local.text; }
    else if (local && local.base !== version) { store(key, null); }

    function save() {
      if (inFlight) return inFlight;
      var text = area.value;
      if (text === confirmed) { store(key, null); return Promise.resolve(true); }
      showState("saving");
      inFlight = post(d.saveUrl, d.csrf, JSON.stringify({ presentation_id: parseInt(d.presentation, 10),
        item_id: d.item, version: version, text: text }))
        .then(function (res) {
          inFlight = null;
          if (res.ok) {
            version = res.d.version; confirmed = text; offline.hidden = true;
            if (area.value === confirmed) { store(key, null); showState("saved"); }
            else { store(key, { base: version, text: area.value }); showState("unsaved"); }
            return true;
          }
          if (res.status === 409 && res.d.version !== undefined) {
            // A newer text is on the server (another tab or computer): show that one.
            store(key, null); window.location.reload(); return false;
          }
          if (res.status >= 500) throw new Error(res.status);
          // Paused, time over, signed out: the screen of the server says what now.
          window.location.reload();
          return false;
        })
        .catch(function () {
          inFlight = null; offline.hidden = false; showState("unsaved");
          return false;
        });
      return inFlight;
    }

    area.addEventListener("input", function () {
      store(key, { base: version, text: area.value });
      showCount();
      showState("unsaved");
    });
    area.addEventListener("blur", save);
    timer = setInterval(function () { if (area.value !== confirmed) save(); }, 1000 * (parseInt(d.autosave, 10) || 5));

    // Paste policy: text copied inside this page (the candidate's own text, the task) may be
    // pasted; text from elsewhere only when the task allows it.
    var copied = null;
    function plain(t) { return String(t || "").replace(/\r\n?/g, "\n").trim(); }
    function remember() {
      var el = document.activeElement;
      copied = plain(el && el.tagName === "TEXTAREA" ? el.value.substring(el.selectionStart, el.selectionEnd)
                                                    : String(window.getSelection()));
    }
    document.addEventListener("copy", remember);
    document.addEventListener("cut", remember);
    if (d.paste !== "allowed") {
      area.addEventListener("paste", function (e) {
        var text = e.clipboardData ? e.clipboardData.getData("text/plain") : "";
        if (copied && plain(text) === copied) return;
        e.preventDefault();
        pasteNote.hidden = false;
        setTimeout(function () { pasteNote.hidden = true; }, 6000);
      });
      area.addEventListener("drop", function (e) { e.preventDefault(); pasteNote.hidden = false; });
    }
    showCount();
    if (area.value !== confirmed) { showState("unsaved"); save(); }
    beforeSubmit.push(function () {
      clearInterval(timer);
      return save().then(function (ok) {
        if (!ok) timer = setInterval(function () { if (area.value !== confirmed) save(); }, 3000);
        return ok;
      });
    });
  });

  // -- speaking ----------------------------------------------------------------------------------
  document.querySelectorAll(".speaking").forEach(function (box) {
    var d = box.dataset;
    var phase = box.querySelector(".phase"), clock = box.querySelector(".countdown");
    var label = box.querySelector(".rec-label"), level = box.querySelector("meter.level");
    var offline = box.querySelector(".banner.offline"), takesNote = box.querySelector(".takes-left");
    var btnNow = box.querySelector(".rec-now"), btnStop = box.querySelector(".rec-stop");
    var btnResume = box.querySelector(".rec-resume"), btnAgain = box.querySelector(".rec-again");
    var ids = { presentation_id: parseInt(d.presentation, 10), item_id: d.item };
    var retakes = parseInt(d.retakes, 10) || 0, takes = parseInt(d.takes, 10) || 0;
    var chunkMs = parseInt(d.chunkMs, 10) || 2000, mime = mimeType();
    var stream = null, recorder = null, stopMeter = function () {}, tick = null;
    var take = 0, part = 0, seq = 0, queue = [], sending = false, idle = [];

    function show(buttons) {
      // A keyboard user whose button just disappeared gets the next action under the focus.
      var here = document.activeElement === document.body || box.contains(document.activeElement);
      [btnNow, btnStop, btnResume, btnAgain].forEach(function (b) { b.hidden = buttons.indexOf(b) < 0; });
      if (here && buttons[0]) buttons[0].focus();
    }
    function say(text) { phase.textContent = text; }
    function takesLeft() {
      var left = retakes - Math.max(takes, 1) + 1;
      takesNote.textContent = left > 0 ? fill(d.takesLeft, { n: left }) : d.noTakesLeft;
      return left;
    }
    function countdown(seconds, text, done) {
      clearInterval(tick);
      var end = Date.now() + seconds * 1000;
      label.textContent = text;
      function step() {
        var left = (end - Date.now()) / 1000;
        clock.textContent = fmt(left);
        if (left <= 0) { clearInterval(tick); done(); }
      }
      tick = setInterval(step, 250); step();
    }
    function fail(message) {
      clearInterval(tick); stopMeter();
      if (recorder && recorder.state !== "inactive") { try { recorder.stop(); } catch (e) { /* stopped */ } }
      say(message || d.phaseError);
      show(takes ? [btnResume] : [btnNow]);
    }

    // One chunk in flight at a time, in order; a lost network keeps the queue and tries again.
    function pump() {
      if (sending) return;
      if (!queue.length) { idle.splice(0).forEach(function (f) { f(); }); return; }
      sending = true;
      var c = queue[0];
      var url = d.chunkUrl + "?presentation_id=" + ids.presentation_id + "&item_id=" + encodeURIComponent(ids.item_id) +
        "&take=" + c.take + "&part=" + c.part + "&seq=" + c.seq;
      post(url, d.csrf, c.blob, c.type).then(function (res) {
        sending = false;
        if (res.ok) { queue.shift(); offline.hidden = true; pump(); return; }
        if (res.status >= 500) throw new Error(res.status);
        queue = []; fail(res.d.error); idle.splice(0).forEach(function (f) { f(); });
      }).catch(function () {
        sending = false;
        offline.querySelector(".text").textContent = d.offline; offline.hidden = false;
        setTimeout(pump, 2000);
      });
    }
    function drained() { return new Promise(function (resolve) { idle.push(resolve); pump(); }); }

    function record(newTake) {
      clearInterval(tick);
      if (!mime) { fail(); return Promise.resolve(); }
      var ready = stream ? Promise.resolve(stream) : microphone();
      return ready.then(function (s) {
        stream = s;
        return post(d.startUrl, d.csrf, JSON.stringify({ presentation_id: ids.presentation_id, item_id: ids.item_id,
          mime_type: mime, new_take: !!newTake }));
      }).then(function (res) {
        if (!res.ok) { fail(res.d.error); return; }
        take = res.d.take; part = res.d.part; seq = 0; takes = take;
        recorder = new MediaRecorder(stream, { mimeType: mime });
        var type = recorder.mimeType || mime, myTake = take, myPart = part;
        recorder.ondataavailable = function (e) {
          if (!e.data || !e.data.size) return;
          queue.push({ take: myTake, part: myPart, seq: seq++, blob: e.data, type: type });
          pump();
        };
        recorder.onstop = function () {
          stopMeter(); clearInterval(tick);
          drained().then(function () {
            return post(d.stopUrl, d.csrf, JSON.stringify({ presentation_id: ids.presentation_id,
              item_id: ids.item_id, take: myTake }));
          }).then(function () {
            label.textContent = ""; clock.textContent = "";
            say(d.phaseDone);
            show(takesLeft() > 0 ? [btnAgain] : []);
            if (takesLeft() <= 0) { var next = form && form.querySelector("button.next"); if (next) next.focus(); }
          });
        };
        recorder.start(chunkMs);
        stopMeter = meter(stream, level);
        say(d.phaseRecord);
        show([btnStop]);
        takesNote.textContent = "";
        countdown(res.d.seconds_left, d.clockRecord, function () {
          if (recorder.state !== "inactive") recorder.stop();
        });
      }).catch(function () { fail(); });
    }

    btnNow.addEventListener("click", function () { record(false); });
    btnResume.addEventListener("click", function () { record(false); });
    btnAgain.addEventListener("click", function () { record(true); });
    btnStop.addEventListener("click", function () { if (recorder && recorder.state !== "inactive") recorder.stop(); });
    label.textContent = "";

    if (d.hasSound === "true" && d.stopped !== "true") {
      say(d.phaseInterrupted);
      show(takesLeft() > 0 ? [btnResume, btnAgain] : [btnResume]);
    } else if (takes && (d.stopped === "true" || d.hasSound === "true")) {
      say(d.phaseDone);
      show(takesLeft() > 0 ? [btnAgain] : []);
    } else {
      say(d.phasePrepare);
      show([btnNow]);
      countdown(parseInt(d.preparation, 10) || 0, d.clockPrepare, function () { record(false); });
    }

    beforeSubmit.push(function () {
      clearInterval(tick);
      if (recorder && recorder.state !== "inactive") {
        // "Volgende" while recording: the recording ends here; its last chunks go first.
        return new Promise(function (resolve) {
          recorder.onstop = function () { stopMeter(); drained().then(function () { resolve(true); }); };
          recorder.stop();
        });
      }
      return drained().then(function () { return true; });
    });
  });

  // Before the answer form is sent: the last save, the last chunks. Runs before candidate.js's
  // own submit handler (capture phase) and sends the form itself once everything is confirmed.
  if (form && beforeSubmit.length) {
    var sendingForm = false;
    form.addEventListener("submit", function (e) {
      if (sendingForm) return;
      e.preventDefault(); e.stopImmediatePropagation();
      var btn = form.querySelector("button.next");
      if (btn) btn.disabled = true;
      Promise.all(beforeSubmit.map(function (f) { return f(); })).then(function (oks) {
        if (oks.every(Boolean)) { sendingForm = true; form.submit(); }
        else if (btn) btn.disabled = false;
      });
    }, true);
  }

  // -- microphone check --------------------------------------------------------------------------
  var check = document.getElementById("mic-check");
  if (check) {
    var cd = check.dataset, status = check.querySelector(".mic-status");
    var btnRec = check.querySelector(".mic-record"), btnPlay = check.querySelector(".mic-play");
    var btnOk = check.querySelector(".mic-ok"), audio = check.querySelector(".mic-audio");
    var micLevel = check.querySelector("meter.level");
    btnPlay.addEventListener("click", function () { audio.currentTime = 0; audio.play(); });
    btnRec.addEventListener("click", function () {
      var type = mimeType();
      btnRec.disabled = true;
      microphone().then(function (stream) {
        if (!type) throw new Error("no recorder");
        var rec = new MediaRecorder(stream, { mimeType: type }), parts = [];
        var stop = meter(stream, micLevel);
        rec.ondataavailable = function (e) { if (e.data && e.data.size) parts.push(e.data); };
        rec.onstop = function () {
          stop();
          stream.getTracks().forEach(function (t) { t.stop(); });
          audio.src = URL.createObjectURL(new Blob(parts, { type: type }));
          status.textContent = cd.listen;
          btnPlay.hidden = false; btnOk.disabled = false; btnRec.disabled = false;
          audio.play().catch(function () { /* the candidate presses the play button */ });
          btnOk.focus();
        };
        status.textContent = cd.recording;
        rec.start();
        setTimeout(function () { rec.stop(); }, 1000 * (parseInt(cd.seconds, 10) || 4));
      }).catch(function () {
        status.textContent = cd.noMic; btnRec.disabled = false;
        check.querySelector(".mic-failed").focus();
      });
    });
  }
})();
