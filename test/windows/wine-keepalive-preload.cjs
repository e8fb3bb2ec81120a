// Test-only preload for node.exe under Wine 8 (never used by botwarden itself).
// Wine 8 fails `connect` on a socket whose SO_KEEPALIVE was set before it connected, and Node's global fetch
// (undici) sets keep-alive on new sockets before connecting. This defers setKeepAlive until the socket is
// connected, which is what real Windows does anyway from the caller's point of view.
'use strict';
const net = require('node:net');
const original = net.Socket.prototype.setKeepAlive;
net.Socket.prototype.setKeepAlive = function setKeepAliveWhenConnected(enable, delay) {
  if (this.connecting) {
    this.once('connect', () => original.call(this, enable, delay));
    return this;
  }
  return original.call(this, enable, delay);
};
