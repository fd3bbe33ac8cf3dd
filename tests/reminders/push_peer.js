// A real Web Push service for the tests: web-push-testing's server (it checks the VAPID JWT against the
// subscription's application server key, decrypts aes128gcm and answers 410 once a subscription is
// expired), bound to 127.0.0.1 only (the package itself listens on every interface).
// Usage: node push_peer.js PORT
"use strict";
const path = require("path");
const root = path.join(__dirname, "node_modules", "web-push-testing", "src");
const Server = require(path.join(root, "server.js"));
const { PushApiModel } = require(path.join(root, "PushApiModel.js"));

const port = Number(process.argv[2]);
const model = new PushApiModel();
const server = new Server(model, port);
// What the peer itself does not keep: the headers each push arrived with (TTL, Urgency, Topic), so the
// tests can check them; registered before the peer's own routes.
const headers = [];
server._app.use((req, res, next) => {
  if (req.method === "POST" && req.path.startsWith("/notify/")) {
    headers.push({ path: req.path, ttl: req.get("TTL"), urgency: req.get("Urgency"), topic: req.get("Topic") });
  }
  next();
});
server._app.post("/received-headers", (req, res) => res.status(200).send({ data: headers }));
const listen = server._app.listen.bind(server._app);
server._app.listen = (p, callback) => listen(p, "127.0.0.1", callback);
server.startServer();
model.notifyUrl = "http://127.0.0.1:" + port + "/notify/";
