//go:build amd64 && !purego

package sse

var eolImpls = func() []eolImpl {
	impls := []eolImpl{{"indexEOLSSE2", indexEOLSSE2}}
	if useAVX2 {
		impls = append(impls, eolImpl{"indexEOLAVX2", indexEOLAVX2})
	}
	return impls
}()
