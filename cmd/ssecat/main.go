// Command ssecat shows a Server-Sent Events stream as it arrives,
// reconnecting as a browser's EventSource does, and says on stderr what the
// connection does. Run "ssecat -h" for its usage, "ssecat demo" to see it
// work.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
