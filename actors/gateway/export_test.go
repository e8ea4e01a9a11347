package gateway

// QuietLogsForTest exposes quietLogs to the external test package.
var QuietLogsForTest = quietLogs
