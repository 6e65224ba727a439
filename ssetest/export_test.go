package ssetest

// EncodeEvent returns e as Send writes it, for the tests of the encoding.
func EncodeEvent(e Event) (string, error) {
	b, err := e.append(nil)
	return string(b), err
}
