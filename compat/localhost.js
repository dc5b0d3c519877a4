// Preloaded with `node -r`: resolves NAME.localhost to the loopback address, as RFC 6761 says
// and systemd-resolved and browsers do, for resolvers (glibc with /etc/hosts) that do not.
// akismet-api puts the API key in the host name (`KEY.HOST`), so pointing its `host` setting at
// `localhost:PORT` needs `KEY.localhost` to resolve. The client itself is not touched.
const dns = require('dns')
const lookup = dns.lookup
dns.lookup = function (hostname, options, callback) {
  if (typeof hostname === 'string' && hostname.endsWith('.localhost')) {
    if (typeof options === 'function') {
      callback = options
      options = {}
    }
    if (options && options.all) return process.nextTick(callback, null, [{ address: '127.0.0.1', family: 4 }])
    return process.nextTick(callback, null, '127.0.0.1', 4)
  }
  return lookup.apply(this, arguments)
}
