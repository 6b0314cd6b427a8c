// SAW's service worker: shows the Web Push notifications SAW sends while the inbox is
// closed, and opens the ticket when one is tapped.
self.addEventListener('push', function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  event.waitUntil(self.registration.showNotification(data.title || 'SAW', {
    body: data.body || '',
    icon: '/static/icon.svg',
    tag: 'saw-ticket-' + (data.ticket_id || ''),
    data: { url: data.url || '/inbox' }
  }));
});

self.addEventListener('notificationclick', function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || '/inbox';
  event.waitUntil(self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(function (list) {
    for (var i = 0; i < list.length; i++) {
      if ('focus' in list[i]) { list[i].navigate(url); return list[i].focus(); }
    }
    return self.clients.openWindow(url);
  }));
});
