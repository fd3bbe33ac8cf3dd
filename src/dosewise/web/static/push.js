// dosewise: turns notifications on or off for this device (the Reminders page). Without JavaScript, or in
// a browser without push, the page says so and everything else still works.
(function () {
  "use strict";
  var panel = document.getElementById("device-panel");
  if (!panel) { return; }
  var status = document.getElementById("device-status");
  var on = document.getElementById("device-on");
  var off = document.getElementById("device-off");
  var csrf = panel.getAttribute("data-csrf");
  var pid = panel.getAttribute("data-pid");

  function say(text) { status.textContent = text; }

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say("This browser cannot receive notifications. On an iPhone, add dosewise to the home screen first (Share, then Add to Home Screen).");
    return;
  }

  function b64ToBytes(text) {
    var padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  function api(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error((data.error && data.error.message) || "refused"); }
        return data;
      });
    });
  }

  var ready = navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
    return navigator.serviceWorker.ready;
  });

  ready.then(function (registration) { return registration.pushManager.getSubscription(); }).then(function (sub) {
    on.hidden = Boolean(sub);
    off.hidden = !sub;
    say(sub ? "Notifications are on for this device." : "Notifications are off for this device.");
  });

  on.addEventListener("click", function () {
    on.disabled = true;
    Notification.requestPermission().then(function (answer) {
      if (answer !== "granted") { throw new Error("notifications are blocked in this browser's settings"); }
      return Promise.all([ready, api("GET", "/api/v1/push/key")]);
    }).then(function (both) {
      return both[0].pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64ToBytes(both[1].public_key) });
    }).then(function (sub) {
      return api("POST", "/api/v1/patients/" + pid + "/push-subscriptions", sub.toJSON());
    }).then(function () {
      on.hidden = true; off.hidden = false;
      say("Notifications are on for this device.");
    }).catch(function (error) {
      say("Notifications could not be turned on: " + error.message + ".");
    }).then(function () { on.disabled = false; });
  });

  off.addEventListener("click", function () {
    ready.then(function (registration) { return registration.pushManager.getSubscription(); }).then(function (sub) {
      if (!sub) { return null; }
      return api("POST", "/api/v1/push-subscriptions/remove", { endpoint: sub.endpoint }).then(function () { return sub.unsubscribe(); });
    }).then(function () {
      on.hidden = false; off.hidden = true;
      say("Notifications are off for this device.");
    });
  });
})();
