package main

// The example program is documentation; running it as a test keeps it
// working.
func Example() {
	main()
	// Output:
	// Hallo, Welt! Grüß dich
	// [end_turn, 5 output tokens]
}
