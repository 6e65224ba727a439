package main

// The example program is documentation; running it as a test keeps it
// working.
func Example() {
	main()
	// Output:
	// delta id=1 {"text":"Bon"}
	// delta id=2 {"text":"jour"}
	// [reconnecting after id 2]
	// delta id=3 {"text":" à"}
	// delta id=4 {"text":" vous"}
	// delta id=5 {"text":" 👋"}
	// done id=6 {}
	// delta id=1 {"text":"Bon"}
	// delta id=2 {"text":"jour"}
	// [reconnecting after id 2]
	// error id=3 {"message":"Upstream overloaded"}
}
