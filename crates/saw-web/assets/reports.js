// The dashboard: picking dates switches the period to "custom", and the "now" panel is
// read again whenever the live stream says a ticket or someone's presence changed.
(function () {
  'use strict';
  var range = document.getElementById('report-range');
  var form = document.getElementById('report-filters');
  if (range && form) {
    form.querySelectorAll('input[type=date]').forEach(function (input) {
      input.addEventListener('change', function () { range.value = 'custom'; });
    });
  }

  var panel = document.getElementById('now-panel');
  var live = document.getElementById('now-live');
  if (!panel || !window.sawLive) return;
  var timer = null;
  function refresh() {
    if (timer) return;
    // Several events arrive together (a message, its ticket): read once for all of them.
    timer = setTimeout(function () {
      timer = null;
      fetch('/reports/now', { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) { panel.innerHTML = html; })
        .catch(function () {});
    }, 500);
  }
  window.sawLive('/reports/events', ['ticket.created', 'ticket.updated', 'presence.changed'], refresh,
    function (connected) { if (live) live.hidden = !connected; });
  // Waits grow with the clock, not only with events.
  setInterval(refresh, 30000);
})();
