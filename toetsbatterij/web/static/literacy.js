// Low-literacy aids of the candidate screens (issue 9): read-aloud buttons, one question per
// screen inside a testlet (the stimulus stays on screen), a sound check before the first listening
// item, and an in-page question before leaving a question unanswered. No inline script (CSP); every
// text comes translated from the page (#i18n data attributes, candidate/base.html). Without
// JavaScript the page works as before: all questions on one page, no read-aloud button.
(function () {
  "use strict";
  var texts = (document.getElementById("i18n") || { dataset: {} }).dataset;
  function fill(key, values) {
    return String(texts[key] || "").replace(/\{(\w+)\}/g, function (m, k) {
      return Object.prototype.hasOwnProperty.call(values, k) ? String(values[k]) : m;
    });
  }
  var SOUND_KEY = "toetsbatterij.soundcheck";

  // -- read-aloud: the clips of a screen, one after the other; a second press stops ------------
  var voice = new Audio();
  var speaking = null;
  function stopReading() {
    voice.pause();
    voice.onended = null;
    if (speaking) speaking.setAttribute("aria-pressed", "false");
    speaking = null;
  }
  document.querySelectorAll("button.read-aloud").forEach(function (btn) {
    var clips = (btn.dataset.clips || "").split(" ").filter(Boolean);
    if (!clips.length) return;
    btn.hidden = false;
    btn.addEventListener("click", function () {
      var again = speaking === btn;
      stopReading();
      if (again) return;
      speaking = btn;
      btn.setAttribute("aria-pressed", "true");
      var i = 0;
      var next = function () {
        if (speaking !== btn) return;
        if (i >= clips.length) { stopReading(); return; }
        voice.src = clips[i++];
        voice.onended = next;
        voice.play().catch(function () { stopReading(); });
      };
      next();
    });
  });
  // Listening to the item itself stops the reading.
  document.querySelectorAll(".audio button.play").forEach(function (b) {
    b.addEventListener("click", stopReading);
  });

  // The login screen starts a new sitting: the sound check is asked again.
  if (document.getElementById("session_code")) {
    try { sessionStorage.removeItem(SOUND_KEY); } catch (e) { /* storage off: ask every time */ }
  }

  var form = document.getElementById("unit-form");
  if (!form) return;
  var questions = Array.prototype.slice.call(form.querySelectorAll("fieldset.question"));
  var submit = form.querySelector("button.next");
  var icons = document.getElementById("aid-icons");

  function icon(name) {
    var svg = icons && icons.content.querySelector(".icon-" + name);
    return svg ? svg.cloneNode(true) : document.createTextNode("");
  }

  // A question counts as answered when one of its controls is chosen or filled in. A question
  // without controls (nothing to fill in on this page) never holds the candidate back.
  function controls(q) {
    return Array.prototype.filter.call(q.querySelectorAll("input, select, textarea"),
      function (e) { return e.type !== "hidden"; });
  }
  function answered(q) {
    var cs = controls(q);
    if (!cs.length) return true;
    return cs.some(function (e) {
      if (e.type === "radio" || e.type === "checkbox") return e.checked;
      return e.value != null && String(e.value).trim() !== "";
    });
  }

  // -- one question per screen inside a testlet ------------------------------------------------
  var current = 0;
  var paging = questions.length > 1;
  var status, prev, forward;
  function button(cls, text, iconName) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = cls;
    b.appendChild(icon(iconName));
    var span = document.createElement("span");
    span.textContent = text;
    b.appendChild(span);
    return b;
  }
  function show(index, focus) {
    current = Math.max(0, Math.min(questions.length - 1, index));
    questions.forEach(function (q, i) { q.hidden = i !== current; });
    var last = current === questions.length - 1;
    status.textContent = fill("questionOf", { n: current + 1, total: questions.length });
    prev.hidden = current === 0;
    forward.hidden = last;
    submit.hidden = !last;
    if (focus) {
      // The focus goes to the question, so Tab continues with its answers.
      questions[current].focus();
    }
  }
  if (paging && submit) {
    status = document.createElement("p");
    status.className = "question-status";
    status.setAttribute("aria-live", "polite");
    form.insertBefore(status, questions[0]);
    questions.forEach(function (q) { q.tabIndex = -1; });
    var nav = document.createElement("div");
    nav.className = "question-nav";
    prev = button("secondary question-previous", texts.questionPrevious || "", "previous");
    forward = button("primary question-next", texts.questionNext || "", "next");
    prev.addEventListener("click", function () { show(current - 1, true); });
    forward.addEventListener("click", function () { show(current + 1, true); });
    submit.parentNode.insertBefore(nav, submit);
    nav.appendChild(prev);
    nav.appendChild(forward);
    nav.appendChild(submit);
    form.classList.add("paged");
    // On a wide screen the text scrolls in its own box beside the question: reachable by Tab.
    var stimulus = form.querySelector(".stimulus");
    if (stimulus) stimulus.tabIndex = 0;
    show(0, false);
  }

  // -- the question before leaving a question unanswered ---------------------------------------
  var dialog = document.getElementById("unanswered");
  var confirmed = false;
  if (dialog && typeof dialog.showModal === "function") {
    // Captured on the document, before candidate.js (which disables the button on submit) and
    // before the browser sends; the automatic send at 0:00 (form.submit()) is never held back.
    document.addEventListener("submit", function (e) {
      if (e.target !== form) return;
      if (paging && current < questions.length - 1) {
        // Enter in a field of an earlier question: on to the next question, nothing is sent.
        e.preventDefault();
        e.stopPropagation();
        show(current + 1, true);
        return;
      }
      if (confirmed || questions.every(answered)) return;
      e.preventDefault();
      e.stopPropagation();
      stopReading();
      dialog.returnValue = "";
      dialog.showModal();
    }, true);
    document.getElementById("unanswered-back").addEventListener("click", function () {
      dialog.close("back");
    });
    document.getElementById("unanswered-go").addEventListener("click", function () {
      dialog.close("go");
    });
    dialog.addEventListener("close", function () {
      stopReading();
      if (dialog.returnValue === "go") {
        confirmed = true;
        if (form.requestSubmit) form.requestSubmit(submit); else form.submit();
        return;
      }
      var first = questions.findIndex(function (q) { return !answered(q); });
      if (paging) show(first < 0 ? current : first, true);
      else if (first >= 0) { questions[first].tabIndex = -1; questions[first].focus(); }
    });
  }

  // -- the sound check before the first listening item of this sitting -------------------------
  var check = document.getElementById("sound-check");
  var done = false;
  try { done = sessionStorage.getItem(SOUND_KEY) === "ok"; } catch (e) { done = false; }
  if (check && !done) {
    var sound = document.getElementById("sound-check-audio");
    var play = document.getElementById("sound-check-play");
    var answer = document.getElementById("sound-check-answer");
    var failed = document.getElementById("sound-check-failed");
    // One thing at a time: while the check is open, the item and the practice notice wait.
    var notice = document.querySelector(".screen-head.notice");
    form.hidden = true;
    if (notice) notice.hidden = true;
    check.hidden = false;
    play.focus();
    play.addEventListener("click", function () {
      stopReading();
      sound.currentTime = 0;
      sound.play().catch(function () { /* no output device: "Ik hoor niets" is the answer */ });
      answer.hidden = false;
    });
    document.getElementById("sound-check-yes").addEventListener("click", function () {
      try { sessionStorage.setItem(SOUND_KEY, "ok"); } catch (e) { /* asked again next time */ }
      stopReading();
      check.hidden = true;
      form.hidden = false;
      if (notice) notice.hidden = false;
      var first = form.querySelector(".audio button.play") || form.querySelector("input, select, textarea, button");
      if (first) first.focus();
    });
    document.getElementById("sound-check-no").addEventListener("click", function () {
      failed.hidden = false;
      play.focus();
    });
  }
})();
