exports.extract = require('./extract')
exports.pack = require('./pack')
