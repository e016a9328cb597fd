// The next screen came as the answer's own response (no redirect round trip): put the screen's
// own address in the address bar, so a reload asks for it (GET) and shows this same screen
// instead of sending the answer again. No inline script (CSP).
(function () {
  "use strict";
  var me = document.currentScript;
  if (me && me.dataset.url && window.history && history.replaceState) {
    history.replaceState(null, "", me.dataset.url);
  }
})();
