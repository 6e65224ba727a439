package main

// The example program is documentation; running it as a test keeps it
// working.
func Example() {
	main()
	// Output:
	// Bonjour à vous 👋
	// [12 prompt + 5 completion tokens]
}
