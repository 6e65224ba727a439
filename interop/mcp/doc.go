// Package mcpinterop holds the tests that drive the sse client against the
// official MCP Go SDK's Streamable HTTP server. It is a module of its own,
// like bench/, so that the SDK never enters the root module's go.mod; it
// has no API.
package mcpinterop
