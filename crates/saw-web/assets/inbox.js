// The inbox, live: it listens to /inbox/events and, when something the person may see
// changes, reads this same page again and swaps in its parts (the tabs' counters, the
// list, the open conversation's header, messages and contact). The page works without it.
(function () {
  'use strict';
  var root = document.getElementById('inbox');
  if (!root || !window.sawLive) { return; }

  var PARTS = ['inbox-tabs', 'inbox-list', 'conversation-head', 'messages', 'contact-panel', 'team'];
  var text = function (name) { return root.getAttribute('data-text-' + name) || ''; };
  var openTicket = root.getAttribute('data-open');

  // --- Settings: sound and notifications, per browser -----------------------------------
  var settings = {
    sound: localStorage.getItem('saw.sound') !== 'off',
    notify: localStorage.getItem('saw.notify') === 'on'
  };
  var alerts = root.querySelector('.alerts');
  if (alerts) {
    alerts.querySelectorAll('label[hidden]').forEach(function (label) { label.hidden = false; });
    alerts.querySelectorAll('select[data-autosubmit]').forEach(function (select) {
      select.addEventListener('change', function () { select.form.requestSubmit(); });
    });
    alerts.querySelectorAll('input[data-setting]').forEach(function (box) {
      var name = box.getAttribute('data-setting');
      box.checked = settings[name] && (name !== 'notify' || notificationsAllowed());
      box.addEventListener('change', function () {
        settings[name] = box.checked;
        localStorage.setItem('saw.' + name, box.checked ? 'on' : 'off');
        if (name === 'notify' && box.checked && window.Notification && Notification.permission === 'default') {
          Notification.requestPermission().then(function (p) {
            box.checked = p === 'granted';
            if (p === 'granted') { subscribePush(); }
          });
        } else if (name === 'notify' && box.checked) {
          subscribePush();
        }
      });
    });
  }

  // Web Push: with notifications allowed, the phone or computer is told of new tickets
  // and messages also while the inbox is closed.
  function subscribePush() {
    if (!('serviceWorker' in navigator) || !window.PushManager) { return; }
    var csrf = document.querySelector('meta[name="csrf-token"]').content;
    navigator.serviceWorker.register('/sw.js').then(function (reg) {
      return fetch('/inbox/push/key', { credentials: 'same-origin' })
        .then(function (r) { return r.json(); })
        .then(function (k) {
          var raw = atob(k.public_key.replace(/-/g, '+').replace(/_/g, '/'));
          var key = new Uint8Array(raw.length);
          for (var i = 0; i < raw.length; i++) { key[i] = raw.charCodeAt(i); }
          return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
        })
        .then(function (subscription) {
          return fetch('/inbox/push', {
            method: 'POST', credentials: 'same-origin',
            headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
            body: JSON.stringify(subscription)
          });
        });
    }).catch(function () { /* push is a bonus: the page still notifies while open */ });
  }
  if (settings.notify && window.Notification && Notification.permission === 'granted') { subscribePush(); }

  function notificationsAllowed() {
    return !!window.Notification && Notification.permission === 'granted';
  }

  var audio = null;
  function beep() {
    if (!settings.sound) { return; }
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.type = 'sine';
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.25, audio.currentTime + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.35);
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.4);
    } catch (e) { /* no sound available */ }
  }
  // Browsers allow sound only after the person touched the page once.
  document.addEventListener('click', function () {
    if (!audio && (window.AudioContext || window.webkitAudioContext)) {
      try { audio = new (window.AudioContext || window.webkitAudioContext)(); } catch (e) { audio = null; }
    }
  }, { once: true });

  function notify(title, body, ticketId) {
    beep();
    if (!settings.notify || !notificationsAllowed()) { return; }
    var n = new Notification(title, { body: body, tag: 'saw-ticket-' + ticketId, icon: '/static/icon.svg' });
    n.onclick = function () { window.focus(); location.href = '/inbox/tickets/' + ticketId; };
  }

  function toast(message) {
    var box = document.createElement('div');
    box.className = 'toast';
    box.setAttribute('role', 'status');
    box.textContent = message;
    document.body.appendChild(box);
    setTimeout(function () { box.remove(); }, 5000);
  }

  function contactName(ticket) {
    var c = ticket && ticket.contact || {};
    return c.name || c.phone || c.external_id || '';
  }

  // --- What an event means for this person ----------------------------------------------
  function listed(ticketId) {
    return document.querySelector('#inbox-list [data-ticket-id="' + ticketId + '"]');
  }

  function onEvent(type, data) {
    if (type === 'ticket.created' || type === 'ticket.updated') {
      var t = data.ticket, before = listed(t.id);
      var wasPending = before && before.getAttribute('data-status') === 'pending';
      if (t.status === 'pending' && !wasPending) {
        notify(text('new-ticket'), contactName(t) + (t.queue ? ' · ' + t.queue.name : ''), t.id);
      }
      if (wasPending && t.status === 'open' && t.assignee && !isMe(t.assignee.id)) {
        toast(text('taken').replace('{cliente}', contactName(t)).replace('{agente}', t.assignee.name));
      }
    } else if (type === 'message.created' && data.message.direction === 'in') {
      var row = listed(data.ticket_id);
      var mine = (row && row.hasAttribute('data-mine')) || String(data.ticket_id) === openTicket;
      if (mine) {
        notify(text('new-message'), data.message.text || '', data.ticket_id);
      }
    }
  }

  function isMe(id) { return String(id) === root.getAttribute('data-me'); }

  // --- Reading the page again -----------------------------------------------------------
  var timer = null, busy = false, again = false;
  function schedule() {
    if (timer) { return; }
    timer = setTimeout(function () { timer = null; refresh(); }, 120);
  }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.href, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } })
      .then(function (r) {
        if (r.status === 404 && openTicket) {
          // The open ticket left this person's queues (a transfer): back to the list.
          location.assign('/inbox?' + (root.getAttribute('data-keep') || '') + '&ok=ticket_gone');
          return null;
        }
        return r.ok ? r.text() : null;
      })
      .then(function (html) { if (html) { swap(html); } })
      .catch(function () { /* the next event tries again */ })
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, 'text/html');
    PARTS.forEach(function (id) {
      var fresh = doc.getElementById(id), current = document.getElementById(id);
      if (!fresh || !current) { return; }
      // Leave alone what the person is using: an open menu or a form being filled.
      var inUse = current.querySelector('details[open]') || current.contains(document.activeElement);
      if (inUse && (id === 'conversation-head' || id === 'contact-panel')) { return; }
      if (id === 'messages') {
        var wrap = current.parentElement;
        var atBottom = wrap.scrollHeight - wrap.scrollTop - wrap.clientHeight < 40;
        current.replaceWith(fresh);
        if (atBottom) { wrap.scrollTop = wrap.scrollHeight; }
      } else if (id === 'inbox-list') {
        var scroll = current.scrollTop;
        current.replaceWith(fresh);
        fresh.scrollTop = scroll;
        loadMoreWhenSeen();
      } else {
        current.replaceWith(fresh);
      }
    });
    alertLate();
    var freshRoot = doc.getElementById('inbox');
    if (freshRoot && freshRoot.className !== root.className) { root.className = freshRoot.className; }
  }

  // Supervisors hear once of each ticket waiting longer than its queue allows.
  var lateSeen = {};
  function alertLate() {
    if (!root.hasAttribute('data-supervisor')) { return; }
    document.querySelectorAll('#inbox-list [data-late]').forEach(function (row) {
      var id = row.getAttribute('data-ticket-id');
      if (lateSeen[id]) { return; }
      lateSeen[id] = true;
      var who = row.querySelector('.who');
      notify(text('late'), who ? who.textContent : '', id);
    });
  }
  alertLate();
  // Waiting times grow, and tickets become late, with no event: read the list again now and then.
  setInterval(schedule, 60000);

  // --- The stream -----------------------------------------------------------------------
  // After a reconnect what was missed arrives first.
  window.sawLive('/inbox/events',
    ['message.created', 'message.status', 'message.updated', 'ticket.created', 'ticket.updated', 'presence.changed'],
    function (type, data) {
      if (type !== 'reload') { onEvent(type, data); }
      schedule();
    },
    function (connected, via) {
      root.setAttribute('data-live', connected ? 'on' : 'off');
      root.setAttribute('data-live-via', via);
    });

  // A success notice floats over the inbox for a moment; errors stay until the next page.
  document.querySelectorAll('main.wide > .notice.ok').forEach(function (n) {
    setTimeout(function () { n.remove(); }, 4000);
  });

  // Infinite scroll: the next page of the list comes when its end scrolls into view.
  function loadMoreWhenSeen() {
    var more = document.querySelector('#inbox-list a.more');
    if (!more || !window.IntersectionObserver) { return; }
    var watcher = new IntersectionObserver(function (entries) {
      if (!entries[0].isIntersecting) { return; }
      watcher.disconnect();
      fetch(more.href, { credentials: 'same-origin' }).then(function (r) { return r.text(); }).then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var list = document.querySelector('#inbox-list .tickets');
        doc.querySelectorAll('#inbox-list .tickets > li.ticket').forEach(function (li) {
          if (!list.querySelector('[data-ticket-id="' + li.getAttribute('data-ticket-id') + '"]')) {
            list.appendChild(li);
          }
        });
        var next = doc.querySelector('#inbox-list a.more');
        if (next) { more.href = next.href; loadMoreWhenSeen(); } else { more.remove(); }
      });
    }, { root: document.getElementById('inbox-list') });
    watcher.observe(more);
  }
  loadMoreWhenSeen();

  // --- The conversation -----------------------------------------------------------------
  var wrap = document.querySelector('.messages-wrap');
  if (wrap) { wrap.scrollTop = wrap.scrollHeight; }
  var composer = document.getElementById('composer');
  if (composer) {
    var box = composer.querySelector('textarea');
    box.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        if (box.value.trim()) { composer.requestSubmit(); }
      }
    });
    composer.addEventListener('submit', function () {
      composer.querySelector('button[type=submit]').disabled = true;
    });
    quickReplies(composer, box);
    attachments(composer, box);
    replies(composer, box);
  }

  // "Responder" on a message: the reply quotes it (WhatsApp shows the quote).
  function replies(form, box) {
    var field = form.querySelector('input[name="reply_to"]');
    var banner = form.querySelector('.replying');
    if (!field || !banner) { return; }
    function show() {
      document.querySelectorAll('#messages .reply-to').forEach(function (b) { b.hidden = false; });
    }
    show();
    document.addEventListener('click', function (e) {
      var button = e.target.closest && e.target.closest('#messages .reply-to');
      if (button) {
        var bubble = button.closest('.msg'), quoted = bubble.querySelector('.text');
        field.value = button.getAttribute('data-message');
        banner.querySelector('.quote').textContent = quoted ? quoted.textContent : '';
        banner.hidden = false;
        box.focus();
      } else if (e.target.hasAttribute && e.target.hasAttribute('data-cancel-reply')) {
        field.value = '';
        banner.hidden = true;
      }
    });
    // Messages read again keep their button.
    new MutationObserver(show).observe(document.querySelector('.messages-wrap'), { childList: true, subtree: true });
  }

  // Files and voice notes go as multipart/form-data with the CSRF header, the text typed
  // so far as the caption; the conversation then reads itself again.
  function attachments(form, box) {
    var tools = form.querySelector('.tools');
    if (!tools || !window.FormData || !window.XMLHttpRequest) { return; }
    tools.hidden = false;
    var state = form.querySelector('#upload-state');
    var csrf = document.querySelector('meta[name="csrf-token"]').content;
    var action = form.getAttribute('action').replace(/\/reply(\?|$)/, '/upload$1');

    function send(file, name, voice) {
      var data = new FormData();
      data.append('file', file, name);
      if (box.value.trim() && !voice) { data.append('caption', box.value.trim()); }
      var xhr = new XMLHttpRequest();
      xhr.open('POST', action);
      xhr.setRequestHeader('X-CSRF-Token', csrf);
      xhr.setRequestHeader('Idempotency-Key', 'inbox-' + Date.now() + '-' + Math.random().toString(36).slice(2));
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) {
          state.textContent = text('uploading') + ' ' + Math.round(100 * e.loaded / e.total) + '%';
        }
      };
      xhr.onload = function () {
        if (xhr.status === 201) {
          state.textContent = '';
          if (!voice) { box.value = ''; }
          schedule();
          return;
        }
        var why = '';
        try { why = JSON.parse(xhr.responseText).error.message; } catch (e) { why = String(xhr.status); }
        state.textContent = text('upload-failed') + ': ' + why;
      };
      xhr.onerror = function () { state.textContent = text('upload-failed'); };
      state.textContent = text('uploading');
      xhr.send(data);
    }

    var input = form.querySelector('#attachment');
    input.addEventListener('change', function () {
      if (input.files.length) { send(input.files[0], input.files[0].name, false); }
      input.value = '';
    });

    var button = form.querySelector('#record');
    if (!window.MediaRecorder || !navigator.mediaDevices) { button.hidden = true; return; }
    var label = button.querySelector('span'), idle = label.textContent;
    var recorder = null, chunks = [];
    button.addEventListener('click', function () {
      if (recorder) { recorder.stop(); return; }
      // OGG/Opus is what WhatsApp plays as a voice note; WebM/Opus is repackaged by SAW.
      var type = ['audio/ogg;codecs=opus', 'audio/webm;codecs=opus'].filter(function (t) {
        return MediaRecorder.isTypeSupported(t);
      })[0];
      navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
        recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
        chunks = [];
        recorder.ondataavailable = function (e) { if (e.data.size) { chunks.push(e.data); } };
        recorder.onstop = function () {
          stream.getTracks().forEach(function (t) { t.stop(); });
          var mime = recorder.mimeType || type || 'audio/webm';
          var blob = new Blob(chunks, { type: mime.split(';')[0] });
          recorder = null;
          label.textContent = idle;
          button.classList.remove('recording');
          send(blob, mime.indexOf('ogg') >= 0 ? 'audio.ogg' : 'audio.webm', true);
        };
        recorder.start();
        label.textContent = button.getAttribute('data-stop');
        button.classList.add('recording');
      }).catch(function () { state.textContent = text('upload-failed'); });
    });
  }

  // "/" at the start of the reply box offers the quick replies whose shortcut or text
  // match what follows; Enter or a click puts the chosen text in the box.
  function quickReplies(form, box) {
    var list = form.querySelector('#quick-replies');
    if (!list) { return; }
    var items = Array.prototype.slice.call(list.children);
    var active = -1;
    function shown() { return items.filter(function (li) { return !li.hidden; }); }
    function highlight(i) {
      var visible = shown();
      visible.forEach(function (li, n) { li.classList.toggle('active', n === i); });
      active = i;
    }
    function choose(li) {
      box.value = li.getAttribute('data-body');
      list.hidden = true;
      box.focus();
    }
    box.addEventListener('input', function () {
      var typed = box.value;
      if (typed.charAt(0) !== '/' || typed.indexOf('\n') >= 0 || !items.length) { list.hidden = true; return; }
      var q = typed.slice(1).toLowerCase();
      items.forEach(function (li) {
        var hit = li.getAttribute('data-shortcut').indexOf(q) === 0 ||
          li.getAttribute('data-body').toLowerCase().indexOf(q) >= 0;
        li.hidden = !hit;
      });
      list.hidden = shown().length === 0;
      highlight(list.hidden ? -1 : 0);
    });
    box.addEventListener('keydown', function (e) {
      if (list.hidden) { return; }
      var visible = shown();
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        var step = e.key === 'ArrowDown' ? 1 : visible.length - 1;
        highlight((active + step) % visible.length);
      } else if ((e.key === 'Enter' || e.key === 'Tab') && visible[active]) {
        e.preventDefault();
        e.stopImmediatePropagation();
        choose(visible[active]);
      } else if (e.key === 'Escape') {
        list.hidden = true;
      }
    }, true);
    items.forEach(function (li) {
      li.addEventListener('mousedown', function (e) { e.preventDefault(); choose(li); });
    });
  }
})();
