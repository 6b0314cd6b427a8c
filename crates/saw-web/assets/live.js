// The live connection of the inbox and the dashboard. It is a WebSocket, which costs the
// server a few KB per open page, or Server-Sent Events where no WebSocket gets through
// (an old proxy). It reconnects by itself and asks for what it missed since the last
// event it saw; when that is gone it gets "reload".
//
// sawLive(path, types, onEvent(type, data), onState(connected, 'websocket' | 'sse'))
window.sawLive = function (path, types, onEvent, onState) {
  'use strict';
  var lastId = null;
  var everOpened = false;
  // Sockets in a row that never opened; after a few, something on the way refuses them.
  var refused = 0;
  var wait = 1000;

  function since(url) {
    return lastId === null ? url : url + '?last_event_id=' + encodeURIComponent(lastId);
  }

  function deliver(type, data, id) {
    if (id !== undefined && id !== null) { lastId = id; }
    if (type === 'reload' || types.indexOf(type) >= 0) { onEvent(type, data); }
  }

  function overSse() {
    if (!window.EventSource) { return; }
    var source = new EventSource(since(path));
    types.concat(['reload']).forEach(function (type) {
      source.addEventListener(type, function (e) {
        var data = null;
        try { data = JSON.parse(e.data); } catch (err) { return; }
        deliver(type, data, e.lastEventId || null);
      });
    });
    source.addEventListener('open', function () { onState(true, 'sse'); });
    source.addEventListener('error', function () { onState(false, 'sse'); });
  }

  function overWebSocket() {
    var scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    var socket;
    try { socket = new WebSocket(since(scheme + location.host + path)); } catch (err) { overSse(); return; }
    var opened = false;
    socket.onopen = function () { opened = everOpened = true; refused = 0; wait = 1000; onState(true, 'websocket'); };
    socket.onmessage = function (e) {
      var message = null;
      try { message = JSON.parse(e.data); } catch (err) { return; }
      deliver(message.event, message.data, message.id);
    };
    socket.onclose = function () {
      onState(false, 'websocket');
      if (!opened) { refused += 1; }
      if (!everOpened && refused >= 3) {
        if (window.console) { console.warn('SAW: no WebSocket gets through; the live updates use Server-Sent Events'); }
        overSse();
        return;
      }
      setTimeout(overWebSocket, wait);
      wait = Math.min(wait * 2, 30000);
    };
  }

  if (window.WebSocket) { overWebSocket(); } else { overSse(); }
};
