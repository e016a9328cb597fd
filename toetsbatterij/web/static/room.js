// Proctor room view: short polling of the room JSON; updates cells in place (no reload).
(function () {
  "use strict";
  var room = document.getElementById("room");
  if (!room) return;
  var live = document.getElementById("live");
  var feed = document.getElementById("feed");
  var after = 0;
  function fmt(s) { if (s === null || s === undefined) return ""; var m = Math.floor(s / 60), r = s % 60; return m + ":" + (r < 10 ? "0" : "") + r; }
  function refresh() {
    fetch(room.dataset.url + "?na=" + after, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        data.candidates.forEach(function (c) {
          var row = room.querySelector('tr[data-candidate="' + c.candidate_id + '"]');
          if (!row) { window.location.reload(); return; }
          // A login lock came or went: reload, so the row shows it with its "lift" button.
          if ((c.login_locked_until ? "ja" : "") !== (row.dataset.locked || "")) { window.location.reload(); return; }
          var cells = row.querySelectorAll("td");
          cells[1].textContent = c.state_label; cells[1].className = "state state-" + c.state;
          cells[2].textContent = c.section; cells[3].textContent = c.items_answered;
          cells[4].textContent = fmt(c.seconds_left);
          cells[5].textContent = c.last_contact_seconds === null ? "" : c.last_contact_seconds + " s";
          // Microphone check: who failed it needs the proctor before the speaking section.
          cells[6].className = "mic mic-" + (c.microphone || "none");
          cells[6].textContent = c.microphone === "failed" ? "\u2717 " + room.dataset.micFailed
            : c.microphone === "ok" ? "\u2713 " + room.dataset.micOk : "";
          // No contact for a minute while working: the proctor should look at this screen.
          var working = c.state === "practice" || c.state === "section" || c.state === "instructions";
          row.classList.toggle("stale", working && c.last_contact_seconds !== null && c.last_contact_seconds > 60);
        });
        (data.events || []).forEach(function (e) {
          after = Math.max(after, e.seq);
          var li = document.createElement("li");
          li.textContent = (e.time || new Date().toLocaleTimeString("nl-BE")) + " · " + e.text;  // server time (Brussels)
          feed.insertBefore(li, feed.firstChild);
          while (feed.children.length > 15) feed.removeChild(feed.lastChild);
        });
        live.textContent = room.dataset.updated.replace("{time}", new Date().toLocaleTimeString("nl-BE"));
      })
      .catch(function () { live.textContent = room.dataset.offline; });
  }
  setInterval(refresh, 1000 * parseInt(room.dataset.poll || "3", 10));
})();
