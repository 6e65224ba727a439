package sse

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// maxRedirects is net/http's own limit.
const maxRedirects = 10

// redirectSafeHeaders are the request headers sent on a redirect to
// another origin: those that describe what the client wants, and none
// that could prove who it is.
var redirectSafeHeaders = map[string]bool{
	"Accept":          true,
	"Accept-Language": true,
	"Cache-Control":   true,
	"Content-Type":    true,
	"Last-Event-Id":   true,
	"User-Agent":      true,
}

// checkRedirect is the CheckRedirect of a Client whose HTTPClient has
// none. net/http strips Authorization and Cookie only on a redirect to
// another host, and copies every other header to any host; it also adds a
// Referer holding the original URL, query and all. Here a redirect to
// another origin keeps only redirectSafeHeaders, and no Referer is added.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return errors.New("sse: stopped after 10 redirects")
	}
	first := via[0]
	if first.Header.Get("Referer") == "" || !sameOrigin(first.URL, req.URL) {
		req.Header.Del("Referer")
	}
	if sameOrigin(first.URL, req.URL) {
		return nil
	}
	for name := range req.Header {
		if !redirectSafeHeaders[name] {
			delete(req.Header, name)
		}
	}
	return nil
}

// sameOrigin reports whether a and b have the same scheme, host and port,
// the port being the scheme's default when it is not given.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		port(a) == port(b)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}
