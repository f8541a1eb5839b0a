// @ts-check
// Loaded with `node --import` before the bundle: sockets to port FAULT_PORT hold nothing open, so a
// request waiting there leaves the event loop empty while the run still waits for it, as a library
// that loses track of a request would.
import net from 'node:net'

const port = Number(process.env.FAULT_PORT)
const connect = net.Socket.prototype.connect
net.Socket.prototype.connect = /** @type {typeof connect} */ (
  function (/** @type {any[]} */ ...args) {
    const options = typeof args[0] === 'object' && args[0] !== null ? (Array.isArray(args[0]) ? args[0][0] : args[0]) : { port: args[0] }
    const socket = connect.apply(this, /** @type {any} */ (args))
    if (Number(options?.port) === port) {
      socket.unref()
      socket.ref = () => socket
    }
    return socket
  }
)
