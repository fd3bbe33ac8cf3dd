// dosewise service worker: shows the reminders and alerts the server pushes, and answers their buttons.
// Browsers cannot schedule notifications offline, so nothing is scheduled here: the server sends each
// one at its time. "Taken" and "Snooze" post the notification's own token (it names one reminder for
// one person) to /api/v1/push/actions, which records the dose through the same exactly-once path as
// the Today page.
"use strict";

var BUTTONS = { taken: "Taken", snooze: "Snooze 10 min" };

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

function notificationOf(data) {
  var actions = (data.actions || []).filter(function (a) { return BUTTONS[a]; })
    .map(function (a) { return { action: a, title: BUTTONS[a] }; });
  return {
    body: data.body || "Open dosewise.",
    // One notification per dose: a snooze or a follow-up replaces the reminder instead of adding one,
    // and a message that arrives twice shows once.
    tag: data.tag || undefined,
    renotify: Boolean(data.tag),
    silent: Boolean(data.silent),
    icon: "/static/favicon.svg",
    requireInteraction: actions.length > 0,
    actions: actions,
    data: { url: data.url || "/home", token: data.token || "", tag: data.tag || "" }
  };
}

self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  event.waitUntil(self.registration.showNotification(data.title || "dosewise", notificationOf(data)));
});

function openPage(url) {
  return self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
    for (var i = 0; i < windows.length; i++) {
      if (new URL(windows[i].url).pathname === url && "focus" in windows[i]) { return windows[i].focus(); }
    }
    return self.clients.openWindow(url);
  });
}

function act(action, data) {
  return fetch("/api/v1/push/actions", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    credentials: "omit",
    body: JSON.stringify({ token: data.token, action: action })
  }).then(function (response) {
    return response.json().then(function (body) { return { ok: response.ok, body: body }; });
  }).then(function (answer) {
    if (!answer.ok || answer.body.outcome === "open_page") {
      // A dose close to another one, or too late to snooze: the page explains and asks first.
      return openPage((answer.body && answer.body.url) || data.url);
    }
    return self.registration.showNotification("dosewise", {
      body: answer.body.message, tag: data.tag || undefined, silent: true, data: { url: data.url }
    });
  }).catch(function () { return openPage(data.url); });
}

self.addEventListener("notificationclick", function (event) {
  var data = event.notification.data || {};
  event.notification.close();
  if (BUTTONS[event.action] && data.token) {
    event.waitUntil(act(event.action, data));
  } else {
    event.waitUntil(openPage(data.url || "/home"));
  }
});
